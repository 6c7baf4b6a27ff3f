"""Supervision pages: plans, call tasks (phone first), rectification tasks, quality rules
and the notice. Every queryset starts from `for_user`; every write goes through services."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.html import format_html
from django.views.decorators.http import require_POST

from fupin.core.forms import run_service
from fupin.core.models import jurisdiction_code
from fupin.supervision import choices as c
from fupin.supervision import services
from fupin.supervision.forms import (
    CallResultForm,
    EvidenceForm,
    PeriodForm,
    PlanForm,
    ReviewForm,
    month_start,
)
from fupin.supervision.models import CallTask, RectificationTask, SamplingPlan
from fupin.supervision.notice import COLUMNS, notice_rows, notice_xlsx
from fupin.supervision.rules import RULES, run_quality
from fupin.supervision.sampling import draw_sample, per_township

RS = c.RectificationStatus


@login_required
def index(request: HttpRequest) -> HttpResponse:
    """The supervision entry: plans for the supervision group, tasks for township staff."""
    user = request.user
    if not user.has_perm("supervision.view_samplingplan"):
        if user.has_perm("supervision.view_rectificationtask"):
            return redirect("supervision-rectifications")
        if user.has_perm("supervision.view_notice"):
            return redirect("supervision-notice")
        raise PermissionDenied
    plans = (
        SamplingPlan.objects.for_user(user)
        .select_related("region", "created_by")
        .annotate(
            sampled=Count("items", distinct=True),
            open_calls=Count("items__call", filter=Q(items__call__status=c.CallStatus.OPEN)),
        )
        .order_by("-created_at", "-id")
    )
    page = Paginator(plans, 20).get_page(request.GET.get("page"))
    my_open = CallTask.objects.for_user(user).filter(assignee=user, status=c.CallStatus.OPEN)
    return render(
        request,
        "supervision/index.html",
        {"page": page, "my_open": my_open.count()},
    )


@login_required
@permission_required("supervision.add_samplingplan", raise_exception=True)
def plan_new(request: HttpRequest) -> HttpResponse:
    form = PlanForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        plan = run_service(
            form,
            lambda: draw_sample(
                acting_user=request.user,
                population=data["population"],
                region_code=data["region"],
                proportion=data["percent"] / Decimal(100),
                minimum=data["minimum"],
                strata=data.get("strata") or "",
                assignee=data.get("assignee"),
                note=data.get("note", ""),
            ),
        )
        if plan:
            messages.success(request, f"已抽取样本，随机种子 {plan.seed}")
            return redirect("supervision-plan", pk=plan.pk)
    return render(request, "supervision/plan_form.html", {"form": form})


@login_required
@permission_required("supervision.view_samplingplan", raise_exception=True)
def plan_detail(request: HttpRequest, pk: int) -> HttpResponse:
    plan = get_object_or_404(
        SamplingPlan.objects.for_user(request.user).select_related("region", "created_by"), pk=pk
    )
    rows = per_township(plan)
    calls = {
        row["item__township_id"]: row
        for row in CallTask.objects.for_user(request.user)
        .filter(item__plan=plan)
        .values("item__township_id")
        .annotate(
            done=Count("id", filter=~Q(status=c.CallStatus.OPEN)),
            problems=Count("id", filter=Q(result__in=c.PROBLEM_RESULTS)),
        )
        .order_by()
    }
    for row in rows:
        row.update(calls.get(row["township"], {"done": 0, "problems": 0}))
    return render(request, "supervision/plan_detail.html", {"plan": plan, "rows": rows})


@login_required
@permission_required("supervision.view_calltask", raise_exception=True)
def call_list(request: HttpRequest) -> HttpResponse:
    tasks = (
        CallTask.objects.for_user(request.user)
        .filter(assignee=request.user)
        .select_related("item__person", "item__household", "region", "item__plan")
        .order_by("status", "region_id", "id")
    )
    status = request.GET.get("status", c.CallStatus.OPEN)
    if status in c.CallStatus.values:
        tasks = tasks.filter(status=status)
    page = Paginator(tasks, 30).get_page(request.GET.get("page"))
    return render(
        request,
        "supervision/call_list.html",
        {"page": page, "status": status, "statuses": c.CallStatus.choices},
    )


def _call(request: HttpRequest, pk: int) -> CallTask:
    return get_object_or_404(
        CallTask.objects.for_user(request.user).select_related(
            "item__plan", "item__person", "item__household__village", "region", "assignee"
        ),
        pk=pk,
    )


@login_required
@permission_required("supervision.view_calltask", raise_exception=True)
def call_detail(request: HttpRequest, pk: int) -> HttpResponse:
    task = _call(request, pk)
    form = CallResultForm(request.POST or None, population=task.item.plan.population)
    if request.method == "POST":
        if not request.user.has_perm("supervision.change_calltask"):
            raise PermissionDenied
        if task.assignee_id != request.user.pk:
            raise PermissionDenied("只有该任务的核查人可以登记结果")
        if form.is_valid():
            data = form.cleaned_data
            done = run_service(
                form,
                lambda: services.record_call(
                    acting_user=request.user,
                    task=task,
                    result=data["result"],
                    wrong_fact=data.get("wrong_fact") or "",
                    true_value=data.get("true_value") or "",
                    notes=data.get("notes") or "",
                    called_at=data.get("called_at"),
                ),
            )
            if done:
                messages.success(request, f"已登记：{c.CallResult(data['result']).label}")
                following = (
                    CallTask.objects.for_user(request.user)
                    .filter(assignee=request.user, status=c.CallStatus.OPEN)
                    .exclude(pk=task.pk)
                    .order_by("region_id", "id")
                    .first()
                )
                if following is not None:
                    return redirect("supervision-call", pk=following.pk)
                return redirect("supervision-calls")
    return render(
        request,
        "supervision/call_task.html",
        {
            "task": task,
            "facts": services.call_facts(task),
            "masked_phone": services.mask_phone(services.phone_of(task)),
            "is_assignee": task.assignee_id == request.user.pk,
            "form": form,
            "attempts": task.attempt_log.select_related("by"),
            "max_attempts": services.max_attempts(),
        },
    )


@login_required
@permission_required("supervision.change_calltask", raise_exception=True)
@require_POST
def call_phone(request: HttpRequest, pk: int) -> HttpResponse:
    """The full number as an HTMX fragment (POST: never in a URL), audited."""
    task = _call(request, pk)
    phone = services.reveal_phone(acting_user=request.user, task=task)
    if not phone:
        return HttpResponse('<span class="muted">未登记联系电话</span>')
    return HttpResponse(format_html('<a class="phone" href="tel:{}">{}</a>', phone, phone))


def _rect_queryset(request: HttpRequest) -> Any:
    return RectificationTask.objects.for_user(request.user).select_related("township", "region")


@login_required
@permission_required("supervision.view_rectificationtask", raise_exception=True)
def rectification_list(request: HttpRequest) -> HttpResponse:
    tasks = _rect_queryset(request)
    status = request.GET.get("status", "")
    today = timezone.localdate()
    if status == "overdue":
        tasks = tasks.exclude(status=RS.CLOSED).filter(deadline__lt=today)
    elif status == "open":
        tasks = tasks.exclude(status=RS.CLOSED)
    elif status in RS.values:
        tasks = tasks.filter(status=status)
    region = request.GET.get("region", "").strip()
    if region:
        tasks = tasks.in_region(region) if region.isdigit() else tasks.none()
    source = request.GET.get("source", "")
    if source in c.RectificationSource.values:
        tasks = tasks.filter(source=source)
    page = Paginator(tasks.order_by("deadline", "id"), 30).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "supervision/rectification_list.html",
        {
            "page": page,
            "status": status,
            "statuses": [("open", "未销号"), ("overdue", "逾期"), *RS.choices],
            "region": region,
            "querystring": query.urlencode(),
        },
    )


@login_required
@permission_required("supervision.view_rectificationtask", raise_exception=True)
def rectification_detail(request: HttpRequest, pk: int) -> HttpResponse:
    task = get_object_or_404(_rect_queryset(request).select_related("call__item"), pk=pk)
    return render(
        request,
        "supervision/rectification_detail.html",
        {
            "task": task,
            "evidence_form": EvidenceForm(initial={"evidence": task.evidence}),
            "review_form": ReviewForm(),
        },
    )


def _rect_action(request: HttpRequest, pk: int, action: Any, done: str) -> HttpResponse:
    task = get_object_or_404(_rect_queryset(request), pk=pk)
    try:
        action(task)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, done)
    return redirect("supervision-rectification", pk=pk)


@login_required
@permission_required("supervision.change_rectificationtask", raise_exception=True)
@require_POST
def rectification_start(request: HttpRequest, pk: int) -> HttpResponse:
    return _rect_action(
        request,
        pk,
        lambda t: services.start_rectification(acting_user=request.user, task=t),
        "已开始整改",
    )


@login_required
@permission_required("supervision.change_rectificationtask", raise_exception=True)
@require_POST
def rectification_submit(request: HttpRequest, pk: int) -> HttpResponse:
    evidence = request.POST.get("evidence", "")
    return _rect_action(
        request,
        pk,
        lambda t: services.submit_rectification(
            acting_user=request.user, task=t, evidence=evidence
        ),
        "已提交复核",
    )


@login_required
@permission_required("supervision.review_rectificationtask", raise_exception=True)
@require_POST
def rectification_review(request: HttpRequest, pk: int) -> HttpResponse:
    approve = request.POST.get("decision") == "approve"
    note = request.POST.get("note", "")
    return _rect_action(
        request,
        pk,
        lambda t: services.review_rectification(
            acting_user=request.user, task=t, approve=approve, note=note
        ),
        "已销号" if approve else "已退回重新整改",
    )


@login_required
@permission_required("supervision.run_quality", raise_exception=True)
def quality(request: HttpRequest) -> HttpResponse:
    """The rules with their descriptions; POST runs them for a region."""
    report = None
    region = request.POST.get("region", "").strip() or (jurisdiction_code(request.user) or "")
    if request.method == "POST":
        try:
            report = run_quality(acting_user=request.user, region_code=region)
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
        except PermissionDenied as exc:  # a typed region outside one's jurisdiction
            messages.error(request, str(exc) or "您的角色没有此项操作权限")
        else:
            messages.success(request, f"检查完成，新增整改任务 {report['opened']} 条")
    return render(
        request,
        "supervision/quality.html",
        {"rules": RULES, "report": report, "region": region},
    )


@login_required
@permission_required("supervision.view_notice", raise_exception=True)
def notice(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    own = jurisdiction_code(request.user) or ""
    params = request.GET.copy()
    params.setdefault("start", month_start(today).isoformat())
    params.setdefault("end", today.isoformat())
    params.setdefault("region", own)
    form = PeriodForm(params)
    rows: list[dict[str, Any]] = []
    totals: dict[str, Any] = {}
    if form.is_valid():
        start: datetime.date = form.cleaned_data["start"]
        end: datetime.date = form.cleaned_data["end"]
        region = form.cleaned_data.get("region") or own
        if not region.isdigit() and region:
            form.add_error("region", "区划代码应为数字")
        else:
            rows, totals = notice_rows(request.user, region, start, end, today)
            if request.GET.get("format") == "xlsx":
                title = f"督导核查通报（{start:%Y-%m-%d} 至 {end:%Y-%m-%d}）"
                response = HttpResponse(
                    notice_xlsx(rows, totals, title),
                    content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                )
                response["Content-Disposition"] = (
                    f'attachment; filename="notice-{start:%Y%m%d}-{end:%Y%m%d}.xlsx"'
                )
                return response
    query = params.copy()
    query["format"] = "xlsx"
    return render(
        request,
        "supervision/notice.html",
        {
            "form": form,
            "rows": rows,
            "totals": totals,
            "columns": COLUMNS,
            "xlsx_query": query.urlencode(),
        },
    )
