"""Matching pages: recommendations of the jurisdiction, of one laborer (with the push form and
the outcomes), of one posting, the printable job card, push figures per township, and the
"重新匹配" button (a background job). Querysets start from `for_user`; writes go through
services."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Max
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from fupin.core import jobs
from fupin.core.dates import age_on
from fupin.core.middleware import client_ip
from fupin.core.models import Job, jurisdiction_code
from fupin.employment.models import JobPosting
from fupin.matching import choices as c
from fupin.matching import services
from fupin.matching.selectors import push_figures, push_totals, pushes, recommendations
from fupin.regions.models import Region
from fupin.regions.widgets import RegionPicker
from fupin.registry.models import Person

RUN_KIND = "matching_run"
VIEW = "matching.view_recommendation"


def _person(request: HttpRequest, pk: int) -> Person:
    queryset = Person.objects.for_user(request.user).select_related(
        "household__village__parent", "needs"
    )
    return get_object_or_404(queryset, pk=pk)


@login_required
@permission_required(VIEW, raise_exception=True)
def recommendation_list(request: HttpRequest) -> HttpResponse:
    """Unemployed laborers of the jurisdiction with their best three recommendations."""
    region = request.GET.get("region", "").strip()
    scoped = recommendations(request.user)
    if region.isdigit():
        scoped = scoped.in_region(region)
    people = (
        Person.objects.filter(pk__in=scoped.values("person_id"))
        .select_related("household__village")
        .order_by("household__village_id", "name_pinyin", "id")
    )
    page = Paginator(people, 50).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    top: dict[int, list[Any]] = {}
    for rec in (
        scoped.filter(person__in=[p.pk for p in rows])
        .select_related("posting__employer", "posting__region")
        .order_by("person_id", "rank")
    ):
        top.setdefault(rec.person_id, []).append(rec)
    for person in rows:
        person.top = top.get(person.pk, [])[:3]
    last_run = scoped.aggregate(at=Max("run_at"))["at"]
    context = {
        "page": page,
        "rows": rows,
        "region": region,
        "last_run": last_run,
        "region_picker": RegionPicker(user=request.user, allow_township=True).render(
            "region", region, attrs={"id": "id_region"}
        ),
        "recent_runs": Job.objects.filter(user=request.user, kind=RUN_KIND)[:5],
    }
    return render(request, "matching/recommendation_list.html", context)


class PostingChoiceField(forms.ModelMultipleChoiceField):
    """Posting ids beyond the database's integer range are "not found", not a 500."""

    def clean(self, value: Any) -> Any:
        values = value if isinstance(value, list | tuple) else [value]
        if any(str(v).strip().isdigit() and int(str(v).strip()) >= 2**63 for v in values):
            raise ValidationError("所选岗位不存在", code="invalid_pk_value")
        return super().clean(value)


class PushForm(forms.Form):
    postings = PostingChoiceField(
        label="推送岗位", queryset=JobPosting.objects.none(), widget=forms.CheckboxSelectMultiple
    )
    channel = forms.ChoiceField(
        label="推送方式", choices=c.PushChannel.choices, widget=forms.RadioSelect
    )
    on = forms.DateField(
        label="推送日期",
        initial=datetime.date.today,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["postings"].queryset = JobPosting.objects.for_user(user)


class OutcomeForm(forms.Form):
    status = forms.ChoiceField(label="结果", choices=c.PushStatus.choices)
    reason = forms.CharField(label="未成功原因", max_length=200, required=False)
    on = forms.DateField(
        label="日期",
        initial=datetime.date.today,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )


def _laborer_context(request: HttpRequest, person: Person) -> dict[str, Any]:
    recs = list(
        recommendations(request.user)
        .filter(person=person)
        .select_related("posting__employer", "posting__region")
        .order_by("rank")
    )
    person_pushes = list(
        pushes(request.user)
        .filter(person=person)
        .select_related("posting__employer", "pushed_by")
        .order_by("-pushed_on", "-id")
    )
    pushed = {p.posting_id for p in person_pushes}
    for rec in recs:
        rec.pushed = rec.posting_id in pushed
        rec.remaining = rec.posting.openings - rec.posting.filled
    for push in person_pushes:
        push.next_statuses = [(s, c.PushStatus(s).label) for s in c.NEXT_STATUS[push.status]]
    return {
        "person": person,
        "age": age_on(person.birth_date, datetime.date.today()),
        "needs": getattr(person, "needs", None),
        "recs": recs,
        "pushes": person_pushes,
        "last_message": person_pushes[0].message if person_pushes else "",
        "channels": c.PushChannel.choices,
        "today": datetime.date.today(),
    }


@login_required
@permission_required(VIEW, raise_exception=True)
def laborer_recommendations(request: HttpRequest, pk: int) -> HttpResponse:
    person = _person(request, pk)
    return render(request, "matching/laborer.html", _laborer_context(request, person))


@login_required
@permission_required("matching.add_push", raise_exception=True)
@require_POST
def push(request: HttpRequest, pk: int) -> HttpResponse:
    person = _person(request, pk)
    form = PushForm(request.POST, user=request.user)
    if form.is_valid():
        try:
            done = services.push_postings(
                acting_user=request.user,
                person=person,
                postings=list(form.cleaned_data["postings"]),
                channel=form.cleaned_data["channel"],
                on=form.cleaned_data["on"],
            )
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, "；".join(getattr(exc, "messages", [str(exc)])))
        else:
            messages.success(request, f"已推送 {len(done)} 个岗位，并登记岗位推送服务")
    else:
        errors = [e for field in form.errors.values() for e in field]
        messages.error(request, "；".join(errors))
    return redirect("matching-laborer", pk=person.pk)


@login_required
@permission_required("matching.change_push", raise_exception=True)
@require_POST
def outcome(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_object_or_404(pushes(request.user), pk=pk)
    form = OutcomeForm(request.POST)
    if form.is_valid():
        try:
            services.record_outcome(
                acting_user=request.user,
                push=item,
                status=form.cleaned_data["status"],
                reason=form.cleaned_data["reason"],
                on=form.cleaned_data["on"],
            )
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, "；".join(getattr(exc, "messages", [str(exc)])))
        else:
            label = c.PushStatus(form.cleaned_data["status"]).label
            messages.success(request, f"已记录结果：{label}")
    else:
        messages.error(request, "；".join(e for f in form.errors.values() for e in f))
    return redirect("matching-laborer", pk=item.person_id)


@login_required
@permission_required(VIEW, raise_exception=True)
def job_card(request: HttpRequest, pk: int) -> HttpResponse:
    """A printable card for the laborer: top postings, contacts, how to apply."""
    person = _person(request, pk)
    context = _laborer_context(request, person)
    context["recs"] = context["recs"][:5]
    return render(request, "matching/card.html", context)


@login_required
@permission_required(VIEW, raise_exception=True)
def posting_laborers(request: HttpRequest, pk: int) -> HttpResponse:
    """A posting's suitable laborers in the jurisdiction, best first."""
    job = get_object_or_404(
        JobPosting.objects.for_user(request.user).select_related("employer", "region"), pk=pk
    )
    recs = list(
        recommendations(request.user)
        .filter(posting=job)
        .select_related("person__household__village")
        .order_by("-score", "person_id")[:200]
    )
    for rec in recs:
        rec.age = age_on(rec.person.birth_date, datetime.date.today())
    job_pushes = pushes(request.user).filter(posting=job)
    counts = dict(job_pushes.values_list("status").annotate(n=Count("pk")).order_by())
    context = {
        "job": job,
        "recs": recs,
        "counts": [(label, counts.get(value, 0)) for value, label in c.PushStatus.choices],
    }
    return render(request, "matching/posting.html", context)


@login_required
@permission_required("matching.view_push", raise_exception=True)
def push_stats(request: HttpRequest) -> HttpResponse:
    """Per township: pushes, interest, interviews, hires and the conversion rate."""
    queryset = pushes(request.user)
    year = request.GET.get("year", "").strip()
    if year.isdigit() and 1900 <= int(year) <= 9999:
        queryset = queryset.filter(pushed_on__year=int(year))
    elif year:
        messages.error(request, f"年份“{year[:20]}”无效，应为四位数的年份，例如 2020")
        year = ""
    rows = push_figures(queryset)
    context = {"rows": rows, "total": push_totals(rows), "year": year}
    return render(request, "matching/stats.html", context)


def _run(job: Job, progress: jobs.Progress) -> dict[str, Any]:
    return services.run_matching(
        acting_user=job.user,
        region_code=job.params["region"],
        top=job.params.get("top", 10),
        progress=progress,
        total=progress.total,
    )


@login_required
@permission_required("matching.run_matching", raise_exception=True)
@require_POST
def run(request: HttpRequest) -> HttpResponse:
    """重新匹配 for a region of the user's jurisdiction (their own by default)."""
    code = request.POST.get("region", "").strip() or jurisdiction_code(request.user) or ""
    if not code:
        code = Region.objects.filter(level=Region.Level.COUNTY).values_list("code", flat=True)[0]
    prefix = jurisdiction_code(request.user) or ""
    if not code.startswith(prefix) or not Region.objects.filter(code=code).exists():
        messages.error(request, f"区划 {code} 不在您的管辖范围内")
        return redirect("matching-list")
    job = Job.objects.create(kind=RUN_KIND, user=request.user, params={"region": code, "top": 10})
    jobs.start(job, _run, ip=client_ip(request))
    return redirect("matching-run-job", pk=job.pk)


@login_required
@permission_required("matching.run_matching", raise_exception=True)
def run_job(request: HttpRequest, pk: int) -> HttpResponse:
    job = get_object_or_404(Job, pk=pk, user=request.user, kind=RUN_KIND)
    template = "matching/_run_job.html" if request.htmx else "matching/run_job.html"
    return render(request, template, {"job": job})
