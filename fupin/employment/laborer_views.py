"""Laborer pages: list, laborer page, state/needs/service forms and the monthly verification
flow. Every queryset starts from `for_user`; every write goes through services."""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import F
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from fupin.core.dates import age_on
from fupin.core.forms import run_service
from fupin.employment import choices as c
from fupin.employment import services
from fupin.employment.laborer_filters import (
    LaborerFilter,
    attach_last_verified,
    is_stale,
    scoped_laborers,
    served_share_by_township,
)
from fupin.employment.laborer_forms import EmploymentForm, NeedsForm, ServiceForm
from fupin.employment.models import EmploymentRecord, Enrollment, Needs
from fupin.employment.selectors import laborers
from fupin.regions.widgets import RegionPicker
from fupin.registry.models import Person

PAGE_SIZES = (20, 50, 100)
LIST_FIELDS = ("name", "sex", "birth_date", "household__village__name")
LIST_COLUMNS = [
    ("name", "姓名"),
    ("birth_date", "年龄"),
    ("village", "村（社区）"),
    ("status", "就业状态"),
    ("monthly_income", "月收入"),
    ("last_verified", "最近核实"),
]


def _decorate(rows: list[Any], today: datetime.date) -> list[Any]:
    """Display values computed per row in Python (no queries)."""
    for row in rows:
        row.age = age_on(row.birth_date, today)
        row.status_label = c.Status(row.status).label if row.status else ""
        row.form_label = c.Form(row.form).label if row.form else ""
        reason = getattr(row, "not_seeking_reason", "")
        row.reason_label = c.NotSeekingReason(reason).label if reason else ""
        row.tier_label = c.tier_label(row.location_tier or "", row.household.village_id)
        row.stale = is_stale(row.last_verified, today)
    return rows


@login_required
@permission_required("employment.view_employmentrecord", raise_exception=True)
def laborer_list(request: HttpRequest) -> HttpResponse:
    params = request.GET.copy()
    if not params.get("region") and params.get("region__township"):
        params["region"] = params["region__township"]
    # The last verification date is joined per row only when sorting by it.
    by_verification = "last_verified" in params.get("ordering", "")
    # Only the columns the rows show: narrower rows to sort over a whole district.
    scoped = (
        scoped_laborers(request.user, verified=by_verification)
        .select_related("household__village")
        .only(*LIST_FIELDS)
    )
    filterset = LaborerFilter(params, queryset=scoped, request=request)
    queryset = filterset.qs
    if not params.get("ordering"):
        queryset = queryset.order_by("household__village_id", "name_pinyin", "id")
    try:
        size = int(params.get("page_size", 20))
    except ValueError:
        size = 20
    size = size if size in PAGE_SIZES else 20
    page = Paginator(queryset, size).get_page(params.get("page"))
    today = datetime.date.today()
    rows = list(page.object_list)
    if not by_verification:
        attach_last_verified(rows)
    _decorate(rows, today)
    keep = params.copy()
    keep.pop("page", None)
    coverage_scope = laborers().for_user(request.user)
    region = params.get("region", "").strip()
    if region.isdigit():
        coverage_scope = coverage_scope.in_region(region)
    context = {
        "filter": filterset,
        "page": page,
        "rows": rows,
        "querystring": keep.urlencode(),
        "page_sizes": PAGE_SIZES,
        "page_size": size,
        "ordering": params.get("ordering", ""),
        "columns": LIST_COLUMNS,
        "year": today.year,
        "verify_days": settings.FUPIN_VERIFY_EVERY_DAYS,
        "region_picker": RegionPicker(user=request.user, allow_township=True).render(
            "region", params.get("region", ""), attrs={"id": "id_region"}
        ),
    }
    if request.htmx:
        return render(request, "employment/_laborer_rows.html", context)
    coverage = served_share_by_township(coverage_scope, today.year)
    total = sum(r["total"] for r in coverage)
    served = sum(r["served_count"] for r in coverage)
    context["coverage"] = coverage
    context["coverage_total"] = {
        "total": total,
        "served_count": served,
        "share": round(100 * served / total, 1) if total else 0,
    }
    return render(request, "employment/laborer_list.html", context)


def _laborer(request: HttpRequest, pk: int) -> Any:
    """A laborer in the user's jurisdiction; 404 outside it and for non-laborers."""
    return get_object_or_404(
        scoped_laborers(request.user).select_related("household__village__parent"), pk=pk
    )


@login_required
@permission_required("employment.view_employmentrecord", raise_exception=True)
def laborer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    person = _laborer(request, pk)
    today = datetime.date.today()
    _decorate([person], today)
    history = list(
        EmploymentRecord.objects.filter(person=person)
        .select_related("employer", "destination", "recorded_by")
        .order_by("-valid_from", "-id")
    )
    for record in history:
        record.tier_text = c.tier_label(record.location_tier, person.household.village_id)
    current = next((r for r in history if r.valid_to is None), None)
    needs = Needs.objects.filter(person=person).select_related("wished_region").first()
    return render(
        request,
        "employment/laborer_detail.html",
        {
            "person": person,
            "household": person.household,
            "current": current,
            "history": history,
            "needs": needs,
            "needs_labels": [c.ServiceNeed(n).label for n in (needs.service_needs if needs else [])]
            if needs
            else [],
            "services": person.services.select_related("staff").order_by("-date", "-id"),
            "enrollments": Enrollment.objects.filter(person=person).select_related("training"),
            "verifications": person.verifications.select_related("verified_by")[:24],
            "service_form": ServiceForm(),
            "verify_days": settings.FUPIN_VERIFY_EVERY_DAYS,
        },
    )


def _current_state(person: Person) -> EmploymentRecord | None:
    return EmploymentRecord.objects.filter(person=person, valid_to=None).first()


@login_required
@permission_required("employment.add_employmentrecord", raise_exception=True)
def employment_record(request: HttpRequest, pk: int) -> HttpResponse:
    person = _laborer(request, pk)
    form = EmploymentForm(
        request.POST or None,
        user=request.user,
        current=_current_state(person),
        home_code=person.household.village_id,
    )
    if request.method == "POST" and form.is_valid():
        done = run_service(
            form,
            lambda: services.record_employment(
                acting_user=request.user,
                person=person,
                data=form.service_data(),
                valid_from=form.cleaned_data["valid_from"],
            ),
        )
        if done:
            messages.success(request, "已记录就业情况")
            return redirect("laborer-detail", pk=pk)
    return render(
        request, "employment/laborer_employment_form.html", {"form": form, "person": person}
    )


@login_required
@permission_required("employment.change_needs", raise_exception=True)
def needs_edit(request: HttpRequest, pk: int) -> HttpResponse:
    person = _laborer(request, pk)
    instance = Needs.objects.filter(person=person).first()
    form = NeedsForm(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        done = run_service(
            form,
            lambda: services.set_needs(
                acting_user=request.user, person=person, data=form.service_data()
            ),
        )
        if done:
            messages.success(request, "已保存就业需求")
            return redirect("laborer-detail", pk=pk)
    return render(request, "employment/laborer_needs_form.html", {"form": form, "person": person})


@login_required
@permission_required("employment.add_service", raise_exception=True)
def service_add(request: HttpRequest, pk: int) -> HttpResponse:
    person = _laborer(request, pk)
    form = ServiceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        done = run_service(
            form,
            lambda: services.add_service(
                acting_user=request.user, person=person, **form.cleaned_data
            ),
        )
        if done:
            messages.success(request, "已登记就业服务")
            return redirect("laborer-detail", pk=pk)
    return render(request, "employment/laborer_service_form.html", {"form": form, "person": person})


# --- Monthly verification (核实) -----------------------------------------------------------


def _skipped(request: HttpRequest) -> list[int]:
    raw = request.POST.get("skip") or request.GET.get("skip") or ""
    return [int(x) for x in raw.split(",") if x.strip().isdigit()]


def verify_queue(user: Any, skip: list[int] | None = None) -> Any:
    """The user's laborers not verified in the last N days, longest unverified first."""
    queryset = LaborerFilter({"unverified": "true"}, queryset=scoped_laborers(user)).qs
    if skip:
        queryset = queryset.exclude(pk__in=skip)
    return queryset.select_related("household__village").order_by(
        F("last_verified").asc(nulls_first=True), "household__village_id", "id"
    )


def _card(request: HttpRequest, skip: list[int], done: str = "") -> HttpResponse:
    queue = verify_queue(request.user, skip)
    person = queue.first()
    remaining = queue.count() if person else 0
    total = laborers().for_user(request.user).count()
    context: dict[str, Any] = {
        "person": person,
        "remaining": remaining,
        "total": total,
        "verified": max(total - remaining - len(skip), 0),
        "skip": ",".join(str(s) for s in skip),
        "done": done,
        "verify_days": settings.FUPIN_VERIFY_EVERY_DAYS,
    }
    if person is not None:
        _decorate([person], datetime.date.today())
    template = "employment/_laborer_verify_card.html" if request.htmx else "employment/verify.html"
    return render(request, template, context)


@login_required
@permission_required("employment.add_verification", raise_exception=True)
def verify_start(request: HttpRequest) -> HttpResponse:
    return _card(request, _skipped(request))


@login_required
@permission_required("employment.add_verification", raise_exception=True)
@require_POST
def verify_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    person = _laborer(request, pk)
    services.verify(acting_user=request.user, person=person, changed=False)
    return _card(request, _skipped(request), done=f"{person.name}：已核实，情况属实")


@login_required
@permission_required("employment.add_verification", raise_exception=True)
@require_POST
def verify_skip(request: HttpRequest, pk: int) -> HttpResponse:
    person = _laborer(request, pk)
    skip = [*_skipped(request), person.pk]
    return _card(request, skip, done=f"{person.name}：已跳过")


@login_required
@permission_required("employment.add_verification", raise_exception=True)
def verify_change(request: HttpRequest, pk: int) -> HttpResponse:
    """有变化: the state form inside the card; saving records the state and the verification."""
    person = _laborer(request, pk)
    if not request.user.has_perm("employment.add_employmentrecord"):
        raise PermissionDenied
    skip = _skipped(request)
    form = EmploymentForm(
        request.POST if request.method == "POST" else None,
        user=request.user,
        current=_current_state(person),
        home_code=person.household.village_id,
    )
    if request.method == "POST" and form.is_valid():

        def save() -> Any:
            with transaction.atomic():
                services.record_employment(
                    acting_user=request.user,
                    person=person,
                    data=form.service_data(),
                    valid_from=form.cleaned_data["valid_from"],
                )
                return services.verify(acting_user=request.user, person=person, changed=True)

        if run_service(form, save):
            return _card(request, skip, done=f"{person.name}：已更新就业情况并核实")
    _decorate([person], datetime.date.today())
    template = (
        "employment/_laborer_verify_change.html"
        if request.htmx
        else "employment/verify_change.html"
    )
    return render(
        request,
        template,
        {"person": person, "form": form, "skip": ",".join(str(s) for s in skip)},
    )
