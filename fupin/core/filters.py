"""Filter pieces shared by every filter set (pages, API and exports use the same sets)."""

from __future__ import annotations

import django_filters
from django.db.models import QuerySet


def filter_region(queryset: QuerySet, name: str, value: str) -> QuerySet:
    """Rows in a region code prefix (inside the jurisdiction already applied); a malformed
    code matches nothing rather than everything."""
    code = value.strip()
    return queryset.in_region(code) if code.isdigit() else queryset.none()


def RegionFilter(label: str = "区划代码") -> django_filters.CharFilter:  # noqa: N802
    """The `region` filter of every scoped list: a region code prefix."""
    return django_filters.CharFilter(label=label, method=filter_region)
