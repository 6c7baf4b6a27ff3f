# fupin — two commands: `make demo` and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: demo test lint install clean-demo

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP)

var/secret_key:
	mkdir -p var
	$(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(50))' > var/secret_key
	chmod 600 var/secret_key

## Install, build var/fupin.sqlite3 with the demo district, print logins, serve :8000.
demo: $(STAMP) var/secret_key
	$(BIN)/fupin demo
	$(BIN)/fupin runserver 127.0.0.1:8000 --insecure

## Install with dev dependencies and run the whole suite (DATABASE_URL selects the DB).
test: $(STAMP)
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean-demo:
	rm -f var/fupin.sqlite3 var/fupin.sqlite3-wal var/fupin.sqlite3-shm
