"""Subsidy pages: the policy catalogue, applications with their workflow, payment batches
(bank file out, return file in) and the eligible-but-unserved list (应补未补) with bulk
drafts. Lists and details are the generic views; the rest are short views on services."""

from __future__ import annotations

import tempfile
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from fupin.core import audit
from fupin.core.generic import XLSX, Col, ObjectAction, Resource, masked, strict_scope
from fupin.core.models import AuditLog, jurisdiction_code
from fupin.core.xlsx import Column, Workbook
from fupin.regions.models import Region
from fupin.subsidies import choices as c
from fupin.subsidies import filters as f
from fupin.subsidies import forms, rules
from fupin.subsidies import models as m
from fupin.subsidies import payments as pay
from fupin.subsidies import services as s


def _rules_text(policy: m.Policy) -> str:
    return "；".join(rules.RULES[k].label for k in policy.rules if k in rules.RULES)


class PolicyResource(Resource):
    model = m.Policy
    name = "subsidy-policy"
    filterset_class = f.PolicyFilter
    form_class = forms.PolicyForm
    search_placeholder = "政策名称或代码"
    columns = [
        Col("name", "政策名称", sort="name", width=24),
        Col("code", "代码", sort="code"),
        Col("beneficiary_kind", "补贴对象", sort="beneficiary_kind"),
        Col("standard_kind", "标准类型"),
        Col("amount", "标准金额（元）", sort="amount"),
        Col("period_cap", "享受次数"),
        Col("yearly_budget", "年度预算（元）"),
        Col("active", "启用"),
    ]
    detail_fields = [
        *columns,
        Col("months", "月数"),
        Col("cap", "上限（元）"),
        Col("rules", "资格条件", value=_rules_text),
        Col("region", "适用区域", value=lambda p: p.region.name if p.region_id else "全部"),
        Col("valid_from", "生效日期"),
        Col("valid_to", "截止日期"),
        Col("attachments", "所需附件"),
        Col("description", "政策说明"),
    ]
    detail_template = "subsidies/policy_detail.html"

    def edit_queryset(self, user: Any) -> Any:
        """County admins edit their district's policies and the catalogue-wide ones."""
        code = jurisdiction_code(user)
        if code is None or len(code) > 6:
            return m.Policy.objects.none()
        return m.Policy.objects.for_user(user)

    def detail_context(self, request: HttpRequest, obj: Any) -> dict[str, Any]:
        year = timezone.localdate().year
        return {"period": rules.period_key(obj), "committed": s.committed(obj, year), "year": year}


class ApplicationResource(Resource):
    model = m.Application
    name = "subsidy-application"
    filterset_class = f.ApplicationFilter
    form_class = forms.ApplicationForm
    select_related = ("policy", "person", "workshop", "employer", "region")
    search_placeholder = "姓名、拼音或单位名称"
    columns = [
        Col("beneficiary_name", "补贴对象", width=20),
        Col("policy.name", "政策", sort="policy__code", width=20),
        Col("period", "所属期", sort="period"),
        Col("amount", "金额（元）", sort="amount"),
        Col("status", "状态", sort="status"),
        Col("region.name", "所在区划", sort="region_id", width=16),
        Col("created_at", "创建时间", sort="created_at", value=lambda a: a.created_at.date()),
    ]
    detail_fields = [
        Col("beneficiary_name", "补贴对象"),
        Col("person", "证件号码", value=lambda a: masked(a.person.id_number) if a.person else ""),
        Col("policy.name", "政策"),
        Col("period", "所属期"),
        Col("amount", "金额（元）"),
        Col("heads", "人数"),
        Col("actual_cost", "实际费用（元）"),
        Col("status", "状态"),
        Col("region.name", "所在区划"),
        Col("account_holder", "账户名"),
        Col("bank_name", "开户银行"),
        Col("bank_account", "银行账号", value=lambda a: masked(a.bank_account)),
        Col("reject_reason", "退回原因"),
        Col("failure_reason", "发放失败原因"),
        Col("paid_on", "发放日期"),
        Col(
            "reversal_of",
            "冲正原记录",
            value=lambda a: f"#{a.reversal_of_id}" if a.reversal_of_id else "",
        ),
    ]
    detail_template = "subsidies/application_detail.html"

    def detail_context(self, request: HttpRequest, obj: Any) -> dict[str, Any]:
        user = request.user
        can = {
            "submit": obj.status == c.Status.DRAFT
            and user.has_perm("subsidies.submit_application"),
            "review": obj.status == c.Status.SUBMITTED
            and user.has_perm("subsidies.review_application")
            and obj.created_by_id != user.pk,
            "approve": obj.status == c.Status.REVIEWED
            and user.has_perm("subsidies.approve_application")
            and user.pk not in (obj.created_by_id, obj.reviewed_by_id),
            "reject": obj.status in (c.Status.SUBMITTED, c.Status.REVIEWED)
            and user.has_perm("subsidies.review_application"),
            "cancel": obj.status in c.OPEN and user.has_perm("subsidies.change_application"),
            "reverse": obj.status in (c.Status.APPROVED, c.Status.PAID, c.Status.FAILED)
            and user.has_perm("subsidies.approve_application"),
        }
        in_scope = strict_scope(m.Application.objects.all(), user).filter(pk=obj.pk).exists()
        full_account = None
        if request.GET.get("full") and obj.bank_account and user.has_perm("registry.view_full_id"):
            full_account = obj.bank_account
            audit.record(AuditLog.Action.VIEW_FULL_ID, obj, message="查看补贴申请的完整银行账号")
        history = AuditLog.objects.filter(
            object_type="subsidies.application", object_id=str(obj.pk)
        ).order_by("at", "id")
        return {
            "can": can if in_scope else {},
            "reasons": [r for r in obj.reasons.split("；") if r],
            "payments": obj.payments.select_related("batch").order_by("id"),
            "history": history,
            "full_account": full_account,
            "may_reveal": bool(obj.bank_account) and user.has_perm("registry.view_full_id"),
            "reject_form": forms.RejectForm(user=user, parent=obj),
            "cancel_form": forms.CancelForm(user=user, parent=obj),
            "reverse_form": forms.ReverseForm(user=user, parent=obj),
        }


class PaymentBatchResource(Resource):
    model = m.PaymentBatch
    name = "payment-batch"
    filterset_class = f.PaymentBatchFilter
    select_related = ("region",)
    columns = [
        Col("number", "批次号", sort="number", width=22),
        Col("status", "状态", sort="status"),
        Col("region.name", "发放单位"),
        Col("note", "说明", width=20),
        Col("created_at", "创建时间", sort="created_at", value=lambda b: b.created_at.date()),
    ]
    detail_fields = [
        *columns,
        Col("sent_at", "报送时间"),
        Col("closed_at", "回盘时间"),
        Col("withdrawn_reason", "撤回原因"),
    ]
    detail_template = "subsidies/batch_detail.html"

    def detail_context(self, request: HttpRequest, obj: Any) -> dict[str, Any]:
        payments = m.Payment.objects.for_user(request.user).filter(batch=obj)
        return {
            "payments": payments.select_related("application__policy").order_by("id"),
            "totals": pay.batch_totals(obj),
            "can_manage": request.user.has_perm("subsidies.manage_batches")
            and strict_scope(m.PaymentBatch.objects.all(), request.user).filter(pk=obj.pk).exists(),
            "return_form": forms.ReturnFileForm(),
            "withdraw_form": forms.WithdrawBatchForm(),
            # The bank file, the return file and withdrawal only while the bank owes answers.
            "awaiting_bank": obj.status in (c.BatchStatus.OPEN, c.BatchStatus.SENT),
            "can_withdraw": obj.status in (c.BatchStatus.OPEN, c.BatchStatus.SENT)
            and not payments.exclude(status=c.PaymentStatus.PENDING).exists(),
        }


policies = PolicyResource()
applications = ApplicationResource()
batches = PaymentBatchResource()


def action(form_class: Any) -> Any:
    return ObjectAction.as_view(resource=applications, form_class=form_class)


# --- eligible but unserved (应补未补) -------------------------------------------------


def _pk(value: str | None) -> int:
    """An id from the query string or form; 0 (no row) when it is not a number."""
    text = (value or "").strip()
    number = int(text) if text.isascii() and text.isdigit() else 0
    return number if number < 2**63 else 0


def _ids(values: list[str]) -> list[int]:
    """The ticked ids that can be ids at all (ASCII digits within a database integer)."""
    return [n for n in map(_pk, values) if n]


def _eligible_params(request: HttpRequest) -> tuple[m.Policy | None, str, str, str]:
    """(policy, period, region, error) from the query string, region inside jurisdiction."""
    visible = m.Policy.objects.for_user(request.user).filter(active=True)
    policy = visible.filter(pk=_pk(request.GET.get("policy"))).first()
    own = jurisdiction_code(request.user) or ""
    region = (request.GET.get("region") or own).strip()
    if not region.startswith(own) or (region and not region.isdigit()):
        raise PermissionDenied(f"区划 {region} 不在您的管辖范围内")
    period = (request.GET.get("period") or "").strip()
    if policy is not None and not period:
        period = rules.period_key(policy)
    return policy, period, region, ""


def _rows(policy: m.Policy, qs: Any) -> list[dict[str, Any]]:
    rows = []
    for obj in qs:
        if policy.beneficiary_kind == c.BeneficiaryKind.PERSON:
            village = obj.household.village
            rows.append(
                {"id": obj.pk, "name": obj.name, "id_number": masked(obj.id_number),
                 "village": village.name, "code": village.code}
            )  # fmt: skip
        else:
            rows.append(
                {"id": obj.pk, "name": obj.name, "id_number": "", "village": obj.region.name,
                 "code": obj.region_id}
            )  # fmt: skip
    return rows


def _related(policy: m.Policy, qs: Any) -> Any:
    if policy.beneficiary_kind == c.BeneficiaryKind.PERSON:
        return qs.select_related("household__village")
    return qs.select_related("region")


@login_required
@permission_required("subsidies.view_application", raise_exception=True)
def eligible(request: HttpRequest) -> HttpResponse:
    """Who qualifies for a policy in a region and period and has no claim yet; select
    them (or all) to create drafts in one transaction; export as xlsx."""
    policy, period, region, _ = _eligible_params(request)
    context: dict[str, Any] = {
        "policies": m.Policy.objects.for_user(request.user).filter(active=True).order_by("code"),
        "policy": policy,
        "period": period,
        "region": region,
        "can_add": request.user.has_perm("subsidies.add_application"),
    }
    if policy is not None:
        try:
            qs = _related(policy, s.unserved(policy, region, period)).order_by("pk")
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
            return render(request, "subsidies/eligible.html", context)
        if request.GET.get("export") == "xlsx":
            return _export_unserved(request, policy, period, region, qs)
        page = Paginator(qs, 100).get_page(request.GET.get("page"))
        keep = request.GET.copy()
        keep.pop("page", None)
        context.update(
            page=page,
            rows=_rows(policy, page),
            querystring=keep.urlencode(),
            rules_text=_rules_text(policy),
            region_name=Region.objects.filter(code=region).values_list("name", flat=True).first(),
        )
    return render(request, "subsidies/eligible.html", context)


def _export_unserved(
    request: HttpRequest, policy: m.Policy, period: str, region: str, qs: Any
) -> HttpResponse:
    handle = tempfile.TemporaryFile()
    count = 0
    with Workbook(handle) as book:
        sheet = book.add_sheet(
            "应补未补名单",
            [Column("姓名/名称", 20), Column("证件号码", 22), Column("所在区划", 24),
             Column("区划代码", 14), Column("政策", 20), Column("所属期", 10)],
            title=f"{policy.name} 应补未补名单（{period}）",
        )  # fmt: skip
        for row in _rows(policy, qs.iterator(chunk_size=2000)):
            sheet.write_row(
                [row["name"], row["id_number"], row["village"], row["code"], policy.name, period]
            )
            count += 1
    audit.record(
        AuditLog.Action.EXPORT,
        object_type="subsidies.policy",
        object_repr=policy.name,
        region_code=region,
        changes={"rows": count, "period": period},
        message=f"导出{policy.name}应补未补名单 {count} 行（{period}）",
    )
    handle.seek(0)
    return FileResponse(
        handle,
        as_attachment=True,
        filename=f"应补未补_{policy.code}_{period}.xlsx",
        content_type=XLSX,
    )


@login_required
@permission_required("subsidies.add_application", raise_exception=True)
@require_POST
def eligible_drafts(request: HttpRequest) -> HttpResponse:
    """Drafts for the ticked rows (or everyone listed when `all` is set)."""
    policy = get_object_or_404(
        m.Policy.objects.for_user(request.user), pk=_pk(request.POST.get("policy"))
    )
    period = request.POST.get("period", "")
    region = request.POST.get("region", "")
    ids = None if request.POST.get("all") else _ids(request.POST.getlist("ids"))
    back = reverse("subsidy-eligible") + f"?policy={policy.pk}&period={period}&region={region}"
    if ids == []:
        messages.error(request, "请勾选对象，或选择“全部生成”")
        return redirect(back)
    try:
        created = s.bulk_create_drafts(
            acting_user=request.user, policy=policy, period=period, region_code=region, ids=ids
        )
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, "；".join(getattr(exc, "messages", [str(exc)])))
        return redirect(back)
    messages.success(request, f"已生成 {len(created)} 份申请草稿")
    return redirect(reverse("subsidy-application-list") + f"?policy={policy.pk}&status=draft")


# --- payment batches -----------------------------------------------------------------


@login_required
@permission_required("subsidies.manage_batches", raise_exception=True)
def batch_new(request: HttpRequest) -> HttpResponse:
    """Pick approved (or failed, to re-issue) claims for a new batch."""
    payable = (
        strict_scope(m.Application.objects.all(), request.user)
        .filter(status__in=pay.PAYABLE)
        .select_related("policy", "person", "workshop", "employer", "region")
        .order_by("region_id", "id")
    )
    if request.method == "POST":
        ids = _ids(request.POST.getlist("ids"))
        chosen = list(payable.filter(pk__in=ids).values_list("pk", flat=True))
        try:
            if not chosen:
                raise ValidationError("请勾选要发放的申请")
            batch = pay.create_batch(
                acting_user=request.user, applications=chosen, note=request.POST.get("note", "")
            )
        except (ValidationError, PermissionDenied) as exc:
            for text in getattr(exc, "messages", [str(exc)]):
                messages.error(request, text)
        else:
            messages.success(request, f"已生成发放批次 {batch.number}")
            return redirect(batches.url("detail", batch))
    rows = [(a, masked(a.bank_account)) for a in payable[:1000]]
    return render(request, "subsidies/batch_new.html", {"rows": rows, "total": payable.count()})


def _managed_batch(request: HttpRequest, pk: int) -> m.PaymentBatch:
    return get_object_or_404(strict_scope(m.PaymentBatch.objects.all(), request.user), pk=pk)


@login_required
@permission_required("subsidies.manage_batches", raise_exception=True)
def batch_bank_file(request: HttpRequest, pk: int) -> HttpResponse:
    batch = _managed_batch(request, pk)
    handle = tempfile.TemporaryFile()
    try:
        pay.write_bank_file(
            acting_user=request.user, batch=batch, out=handle, full=bool(request.GET.get("full"))
        )
    except ValidationError as exc:
        handle.close()
        for text in exc.messages:
            messages.error(request, text)
        return redirect(batches.url("detail", batch))
    handle.seek(0)
    return FileResponse(
        handle, as_attachment=True, filename=f"代发_{batch.number}.xlsx", content_type=XLSX
    )


@login_required
@permission_required("subsidies.manage_batches", raise_exception=True)
@require_POST
def batch_return_file(request: HttpRequest, pk: int) -> HttpResponse:
    batch = _managed_batch(request, pk)
    form = forms.ReturnFileForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, "请选择银行回盘文件")
        return redirect(batches.url("detail", batch))
    upload = form.cleaned_data["file"]
    try:
        counts = pay.import_return(
            acting_user=request.user, batch=batch, source=upload, filename=upload.name
        )
    except ValidationError as exc:
        messages.error(request, "回盘文件未导入（未做任何修改）：")
        for text in exc.messages[:50]:
            messages.error(request, text)
    else:
        messages.success(
            request,
            f"已导入回盘：成功 {counts['paid']} 笔，失败 {counts['failed']} 笔，"
            f"未变 {counts['unchanged']} 笔",
        )
    return redirect(batches.url("detail", batch))


@login_required
@permission_required("subsidies.manage_batches", raise_exception=True)
@require_POST
def batch_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    batch = _managed_batch(request, pk)
    form = forms.WithdrawBatchForm(request.POST)
    if not form.is_valid():
        messages.error(request, "请填写撤回原因")
        return redirect(batches.url("detail", batch))
    try:
        reason = form.cleaned_data["reason"]
        pay.withdraw_batch(acting_user=request.user, batch=batch, reason=reason)
    except ValidationError as exc:
        for text in exc.messages:
            messages.error(request, text)
    else:
        messages.success(
            request, f"已撤回批次 {batch.number}，其中的申请恢复为已审批，可重新纳入批次"
        )
    return redirect(batches.url("detail", batch))


@login_required
@permission_required("subsidies.view_application", raise_exception=True)
def home(request: HttpRequest) -> HttpResponse:
    """The subsidy work at a glance: claims by status in the jurisdiction, and the links."""
    from django.db.models import Count, Sum

    counts = (
        m.Application.objects.for_user(request.user)
        .values("status")
        .annotate(n=Count("id"), total=Sum("amount"))
        .order_by("status")
    )
    labels = dict(c.Status.choices)
    rows = [(labels.get(r["status"], r["status"]), r["n"], r["total"]) for r in counts]
    return render(request, "subsidies/home.html", {"rows": rows})
