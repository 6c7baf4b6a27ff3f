"""API for laborers and services (registered on the project router by `register`)."""

from typing import Any


def register(router: Any) -> None:
    """Add this module's viewsets to the API router."""
