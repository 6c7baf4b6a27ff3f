"""Registry pages. Every queryset starts from `for_user`; every write goes through services."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from fupin.core.forms import run_service
from fupin.core.models import AuditLog
from fupin.regions.widgets import RegionPicker
from fupin.registry import services
from fupin.registry.filters import HouseholdFilter, with_list_columns
from fupin.registry.forms import (
    HouseholdForm,
    IncomeForm,
    MakeHeadForm,
    MoveMemberForm,
    PersonForm,
    RemoveMemberForm,
)
from fupin.registry.idnumbers import looks_like_id_number
from fupin.registry.models import Household, Person

PAGE_SIZES = (20, 50, 100)
LIST_COLUMNS = [
    ("number", "户编号"),
    ("head_name", "户主"),
    ("member_count", "人数"),
    ("village", "村（社区）"),
    ("identified_year", "识别年度"),
]


def list_params(request: HttpRequest) -> QueryDict:
    """Filters come by GET; a search for a full ID number comes by POST so that the number
    never appears in a URL or an access log."""
    params = request.GET.copy()
    if request.method == "POST":
        for key in (*HouseholdFilter.base_filters, "region__township"):
            if key in request.POST:
                params[key] = request.POST[key]
    if not params.get("region") and params.get("region__township"):
        params["region"] = params["region__township"]
    return params


def filtered_households(request: HttpRequest) -> tuple[HouseholdFilter, Any]:
    params = list_params(request)
    scoped = Household.objects.for_user(request.user)
    filterset = HouseholdFilter(params, queryset=with_list_columns(scoped), request=request)
    queryset = filterset.qs
    if not params.get("ordering"):
        queryset = queryset.order_by("number")
    return filterset, queryset


@login_required
@permission_required("registry.view_household", raise_exception=True)
def household_list(request: HttpRequest) -> HttpResponse:
    filterset, queryset = filtered_households(request)
    params = list_params(request)
    if request.method == "POST" and not looks_like_id_number(params.get("q", "")):
        return redirect(f"{reverse('household-list')}?{params.urlencode()}")
    try:
        size = int(params.get("page_size", 20))
    except ValueError:
        size = 20
    size = size if size in PAGE_SIZES else 20
    page = Paginator(queryset, size).get_page(params.get("page"))
    keep = params.copy()
    keep.pop("page", None)
    if looks_like_id_number(keep.get("q", "")):
        keep.pop("q")
    context = {
        "filter": filterset,
        "page": page,
        "querystring": keep.urlencode(),
        "page_sizes": PAGE_SIZES,
        "page_size": size,
        "ordering": params.get("ordering", ""),
        "columns": LIST_COLUMNS,
        # Export posts the current filter; a search by full ID (one household) has no export,
        # so the number is not echoed back into the page.
        "export_params": None
        if looks_like_id_number(params.get("q", ""))
        else [(k, v) for k, v in params.items() if k not in ("page", "page_size")],
        "region_picker": RegionPicker(user=request.user, allow_township=True).render(
            "region", params.get("region", ""), attrs={"id": "id_region"}
        ),
    }
    template = "registry/_household_rows.html" if request.htmx else "registry/household_list.html"
    return render(request, template, context)


def _household(request: HttpRequest, pk: int) -> Household:
    return get_object_or_404(Household.objects.for_user(request.user), pk=pk)


def _person(request: HttpRequest, pk: int) -> Person:
    return get_object_or_404(
        Person.objects.for_user(request.user).select_related("household"), pk=pk
    )


@login_required
@permission_required("registry.view_household", raise_exception=True)
def household_detail(request: HttpRequest, pk: int) -> HttpResponse:
    household = get_object_or_404(
        Household.objects.for_user(request.user).select_related("village__parent"), pk=pk
    )
    members = list(household.members.order_by("removed_on", "id"))
    history = AuditLog.objects.filter(context_key=services.household_context(household.pk))[:100]
    return render(
        request,
        "registry/household_detail.html",
        {
            "household": household,
            "members": [m for m in members if m.removed_on is None],
            "removed": [m for m in members if m.removed_on is not None],
            "incomes": household.incomes.all(),
            "history": history,
        },
    )


@login_required
@permission_required("registry.add_household", raise_exception=True)
def household_create(request: HttpRequest) -> HttpResponse:
    form = HouseholdForm(request.POST or None, user=request.user)
    head_form = PersonForm(request.POST or None, prefix="head", head=True)
    if request.method == "POST" and form.is_valid() and head_form.is_valid():
        household = run_service(
            form,
            lambda: services.register_household(
                acting_user=request.user,
                household=form.service_data(),
                members=[head_form.service_data()],
            ),
        )
        if household:
            messages.success(request, f"已登记贫困户 {household.number}")
            return redirect("household-detail", pk=household.pk)
    return render(request, "registry/household_form.html", {"form": form, "head_form": head_form})


@login_required
@permission_required("registry.change_household", raise_exception=True)
def household_edit(request: HttpRequest, pk: int) -> HttpResponse:
    household = _household(request, pk)
    form = HouseholdForm(request.POST or None, instance=household, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.service_data()
        fresh = Household.objects.get(pk=household.pk)
        done = run_service(
            form,
            lambda: services.update_household(acting_user=request.user, household=fresh, data=data),
        )
        if done:
            messages.success(request, "已保存")
            return redirect("household-detail", pk=pk)
    return render(request, "registry/household_form.html", {"form": form, "household": household})


@login_required
@permission_required("registry.change_household", raise_exception=True)
def income_set(request: HttpRequest, pk: int) -> HttpResponse:
    """Record or correct a year's per-capita net income (the form is on the detail page)."""
    household = _household(request, pk)
    form = IncomeForm(request.POST or None, initial={"year": timezone.localdate().year})
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        done = run_service(
            form,
            lambda: services.set_income(
                acting_user=request.user,
                household=household,
                year=data.pop("year"),
                per_capita_net=data.pop("per_capita_net"),
                **data,
            ),
        )
        if done:
            messages.success(request, "已保存收入")
            return redirect("household-detail", pk=pk)
    return render(request, "registry/income_form.html", {"form": form, "household": household})


@login_required
@permission_required("registry.add_person", raise_exception=True)
def member_add(request: HttpRequest, pk: int) -> HttpResponse:
    household = _household(request, pk)
    form = PersonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        person = run_service(
            form,
            lambda: services.add_member(
                acting_user=request.user, household=household, data=form.service_data()
            ),
        )
        if person:
            messages.success(request, f"已添加成员 {person.name}")
            return redirect("household-detail", pk=pk)
    return render(
        request, "registry/person_form.html", {"form": form, "household": household, "adding": True}
    )


@login_required
@permission_required("registry.view_person", raise_exception=True)
def person_detail(request: HttpRequest, pk: int) -> HttpResponse:
    person = _person(request, pk)
    return render(
        request,
        "registry/person_detail.html",
        {
            "person": person,
            "household": person.household,
            "remove_form": RemoveMemberForm(),
            "move_form": MoveMemberForm(),
            "head_form": MakeHeadForm(),
        },
    )


@login_required
@permission_required("registry.change_person", raise_exception=True)
def person_edit(request: HttpRequest, pk: int) -> HttpResponse:
    person = _person(request, pk)
    form = PersonForm(request.POST or None, instance=person)
    if request.method == "POST" and form.is_valid():
        data = form.service_data()
        fresh = Person.objects.get(pk=person.pk)
        done = run_service(
            form,
            lambda: services.update_person(acting_user=request.user, person=fresh, data=data),
        )
        if done:
            messages.success(request, "已保存")
            return redirect("person-detail", pk=pk)
    return render(
        request,
        "registry/person_form.html",
        {"form": form, "household": person.household, "person": person},
    )


def _person_action(request: HttpRequest, pk: int, form_class: Any, run: Any) -> HttpResponse:
    person = _person(request, pk)
    form = form_class(request.POST)
    if form.is_valid() and run_service(form, lambda: run(person, form.cleaned_data)):
        messages.success(request, "已完成")
    else:
        for error in form.errors.get("__all__", []) + [
            f"{form.fields[f].label}：{e}"
            for f, es in form.errors.items()
            if f != "__all__"
            for e in es
        ]:
            messages.error(request, error)
    return redirect("household-detail", pk=person.household_id)


@login_required
@permission_required("registry.change_person", raise_exception=True)
@require_POST
def person_remove(request: HttpRequest, pk: int) -> HttpResponse:
    return _person_action(
        request,
        pk,
        RemoveMemberForm,
        lambda p, d: services.remove_member(
            acting_user=request.user, person=p, reason=d["reason"], on=d["on"]
        ),
    )


@login_required
@permission_required("registry.change_person", raise_exception=True)
@require_POST
def person_move(request: HttpRequest, pk: int) -> HttpResponse:
    def run(person: Person, data: dict[str, Any]) -> Person:
        target = Household.objects.for_user(request.user).filter(number=data["to_number"]).first()
        if target is None:
            raise ValidationError({"to_number": "在您的辖区内找不到该户编号"})
        return services.move_member(
            acting_user=request.user, person=person, to_household=target, relation=data["relation"]
        )

    return _person_action(request, pk, MoveMemberForm, run)


@login_required
@permission_required("registry.change_person", raise_exception=True)
@require_POST
def person_make_head(request: HttpRequest, pk: int) -> HttpResponse:
    return _person_action(
        request,
        pk,
        MakeHeadForm,
        lambda p, d: services.change_head(
            acting_user=request.user,
            household=p.household,
            new_head=p,
            old_head_relation=d["old_head_relation"],
        ),
    )


@login_required
@permission_required("registry.view_full_id", raise_exception=True)
@require_POST
def person_reveal_id(request: HttpRequest, pk: int) -> HttpResponse:
    """The full number as an HTMX fragment (POST: never in a URL), audited."""
    person = _person(request, pk)
    with transaction.atomic():
        number = services.reveal_id_number(acting_user=request.user, person=person)
    return HttpResponse(f'<span class="id-number">{number}</span>')
