"""API for employers, jobs, events and the measures (added to the router by `register`)."""

from typing import Any


def register(router: Any) -> None:
    """Add this module's viewsets to the API router."""
