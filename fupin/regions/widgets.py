"""The region picker: township → village cascade with search, limited to the jurisdiction."""

from __future__ import annotations

from typing import Any

from django import forms

from fupin.regions.models import Region


class RegionPicker(forms.Widget):
    """Renders a township select, a name search and a village select (HTMX-loaded).

    The submitted value is the village code (or the township code when `allow_township`
    and no village is chosen: filters use that as a prefix).
    """

    template_name = "regions/picker.html"

    def __init__(self, *args: Any, user: Any = None, allow_township: bool = False, **kw: Any):
        super().__init__(*args, **kw)
        self.user = user
        self.allow_township = allow_township

    def value_from_datadict(self, data: Any, files: Any, name: str) -> str:
        village = (data.get(name) or "").strip()
        if village or not self.allow_township:
            return village
        return (data.get(f"{name}__township") or "").strip()

    def get_context(self, name: str, value: Any, attrs: Any) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        code = str(value or "")
        scoped = Region.objects.for_user(self.user)
        townships = list(scoped.filter(level=Region.Level.TOWNSHIP))
        own = getattr(self.user, "region", None)
        if not townships and own is not None and own.level == Region.Level.VILLAGE:
            # A village clerk's jurisdiction is one village: show it, under its township.
            townships = [own.parent] if own.parent_id else []
        township_code = code[:9] if len(code) >= 9 else ""
        if not township_code and len(townships) == 1:
            township_code = townships[0].code
        villages = (
            list(scoped.filter(level=Region.Level.VILLAGE, code__startswith=township_code))
            if township_code
            else []
        )
        context["picker"] = {
            "townships": townships,
            "villages": villages,
            "township": township_code,
            "village": code if len(code) == 12 else "",
            "required": self.is_required,
        }
        return context
