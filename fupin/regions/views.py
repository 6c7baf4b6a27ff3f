from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from fupin.regions.models import Region


@login_required
def region_options(request: HttpRequest) -> HttpResponse:
    """Village <option>s for the picker: under the chosen township, or matching a name."""
    field = request.GET.get("field", "")
    township = request.GET.get(f"{field}__township", "").strip()
    query = request.GET.get(f"{field}__q", "").strip()
    villages = Region.objects.for_user(request.user).filter(level=Region.Level.VILLAGE)
    if township:
        villages = villages.filter(code__startswith=township)
    if query:
        villages = villages.filter(name__contains=query).select_related("parent")[:50]
    elif not township:
        villages = villages.none()
    return render(
        request,
        "regions/options.html",
        {"villages": villages, "show_township": bool(query) and not township},
    )
