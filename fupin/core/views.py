"""Home page (the jurisdiction's figures) and the audit log page."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.db.models.functions import Substr
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from fupin.core.models import AuditLog, jurisdiction_code
from fupin.regions.models import Region
from fupin.registry.models import Household, Person


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Counts for the user's jurisdiction, per township (or village), grouped in SQL."""
    user = request.user
    code = jurisdiction_code(user) or ""
    child_len = {0: 6, 2: 6, 4: 6, 6: 9, 9: 12}.get(len(code), 12)
    households = Household.objects.for_user(user)
    by_child = {
        row["child"]: row
        for row in households.annotate(child=Substr("village_id", 1, child_len))
        .values("child")
        .annotate(households=Count("id"), not_exited=Count("id", filter=Q(status="not_exited")))
        .order_by()
    }
    people = {
        row["child"]: row["n"]
        for row in Person.objects.for_user(user)
        .filter(removed_on__isnull=True)
        .annotate(child=Substr("household__village_id", 1, child_len))
        .values("child")
        .annotate(n=Count("id"))
        .order_by()
    }
    names = dict(Region.objects.filter(code__in=list(by_child)).values_list("code", "name"))
    rows = [
        {
            "code": child,
            "name": names.get(child, child),
            "households": data["households"],
            "not_exited": data["not_exited"],
            "persons": people.get(child, 0),
        }
        for child, data in sorted(by_child.items())
    ]
    totals = {
        "households": sum(r["households"] for r in rows),
        "not_exited": sum(r["not_exited"] for r in rows),
        "persons": sum(r["persons"] for r in rows),
    }
    return render(
        request,
        "core/home.html",
        {"rows": rows, "totals": totals, "region": user.region, "child_len": child_len},
    )


@login_required
@permission_required("core.view_auditlog", raise_exception=True)
def audit_log(request: HttpRequest) -> HttpResponse:
    entries = AuditLog.objects.for_user(request.user)
    action = request.GET.get("action", "")
    username = request.GET.get("user", "").strip()
    if action:
        entries = entries.filter(action=action)
    if username:
        entries = entries.filter(username=username)
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "core/audit_log.html",
        {
            "page": page,
            "actions": AuditLog.Action.choices,
            "action": action,
            "username": username,
            "querystring": query.urlencode(),
        },
    )
