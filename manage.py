#!/usr/bin/env python
from fupin.cli import main

if __name__ == "__main__":
    main()
