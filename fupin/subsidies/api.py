"""API: policies (with their eligible list), applications and their workflow actions,
payment batches (bank file out, return file in) and payments.

Scoped by `for_user` like every other list; writes go through the services. A POST with
an `Idempotency-Key` header is answered once per user and key: a retry (double click,
network timeout) gets the stored answer and writes nothing again.
"""

from __future__ import annotations

import datetime
import tempfile
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import Count, Q, Sum
from django.http import FileResponse
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from fupin.core import audit
from fupin.core.api import ScopedViewSet, service_errors
from fupin.core.drf import ScopedModelPermissions
from fupin.core.generic import XLSX, masked
from fupin.core.models import AuditLog, jurisdiction_code
from fupin.employment.models import Employer, Workshop
from fupin.registry.models import Person
from fupin.subsidies import choices as c
from fupin.subsidies import filters as f
from fupin.subsidies import payments as pay
from fupin.subsidies import rules
from fupin.subsidies import services as s
from fupin.subsidies.models import Application, IdempotencyKey, Payment, PaymentBatch, Policy


def reveals_accounts(request: Request) -> bool:
    """Full bank account numbers only on ?full_id=true by a user who may see full IDs."""
    wanted = request.query_params.get("full_id", "").lower() in ("1", "true", "yes")
    return wanted and request.user.has_perm("registry.view_full_id")


class IdempotentMixin:
    """`Idempotency-Key: <anything unique>` on a POST: the first answer (2xx or 4xx as a
    response) is stored with the key and replayed for the same user and key, for
    FUPIN_IDEMPOTENCY_HOURS (24) hours."""

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)  # type: ignore[misc]
        key = (request.headers.get("Idempotency-Key") or "").strip()
        if request.method == "POST" and key:
            handler = self.post  # type: ignore[attr-defined]
            self.post = lambda req, *a, **kw: self._once(key[:100], req, handler, *a, **kw)

    def _once(self, key: str, request: Request, handler: Callable, *args: Any, **kw: Any) -> Any:
        # Keys answer retries, not history: the user's expired ones go (a day by default),
        # before and apart from the request's own transaction.
        hours = getattr(settings, "FUPIN_IDEMPOTENCY_HOURS", 24)
        expired = timezone.now() - datetime.timedelta(hours=hours)
        IdempotencyKey.objects.filter(user=request.user, created_at__lt=expired).delete()
        with transaction.atomic():
            record, created = IdempotencyKey.objects.select_for_update().get_or_create(
                user=request.user, key=key, defaults={"path": request.path[:300]}
            )
            if not created:
                if record.path != request.path[:300]:
                    raise exceptions.ValidationError(
                        {"Idempotency-Key": "该幂等键已用于另一个请求，请换一个"}
                    )
                if record.status_code is not None:
                    replay = Response(record.response, status=record.status_code)
                    replay["Idempotent-Replayed"] = "true"
                    return replay
            response = handler(request, *args, **kw)
            if isinstance(response, Response) and response.status_code < 500:
                record.status_code, record.response = response.status_code, response.data
                record.save(update_fields=["status_code", "response"])
            return response


# --- policies ------------------------------------------------------------------------


class PolicySerializer(serializers.ModelSerializer):
    rules = serializers.ListField(
        child=serializers.ChoiceField(choices=rules.RULE_CHOICES), required=False
    )
    region = serializers.CharField(
        source="region_id", required=False, allow_null=True, help_text="区划代码，空为全部"
    )

    class Meta:
        model = Policy
        exclude = ["created_at", "updated_at"]

    def get_validators(self) -> list[Any]:
        return []


class EligibleSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    id_number = serializers.CharField(help_text="脱敏证件号码（人员）")
    region = serializers.CharField(help_text="所在区划代码")


def eligible_row(obj: Any) -> dict[str, Any]:
    if isinstance(obj, Person):
        return {
            "id": obj.pk,
            "name": obj.name,
            "id_number": masked(obj.id_number),
            "region": obj.household.village_id,
        }
    return {"id": obj.pk, "name": obj.name, "id_number": "", "region": obj.region_id}


class PolicyViewSet(IdempotentMixin, ScopedViewSet):
    """补贴政策目录（区县管理员维护）. GET …/eligible/?period=&region=&all=true: who qualifies
    (default: only those without a claim for the period — 应补未补)."""

    base_queryset = Policy.objects
    serializer_class = PolicySerializer
    filterset_class = f.PolicyFilter

    def get_queryset(self) -> Any:
        return super().get_queryset().order_by("code")

    def _save(self, serializer: serializers.Serializer, instance: Any = None) -> None:
        data = dict(serializer.validated_data)
        with service_errors():
            serializer.instance = s.save_policy(
                acting_user=self.request.user, instance=instance, data=data
            )

    def perform_create(self, serializer: serializers.Serializer) -> None:
        self._save(serializer)

    def perform_update(self, serializer: serializers.Serializer) -> None:
        self._save(serializer, serializer.instance)

    @extend_schema(
        parameters=[
            OpenApiParameter("period", str, description="所属期：ever / 2026 / 2026-11"),
            OpenApiParameter("region", str, description="区划代码前缀（默认本人辖区）"),
            OpenApiParameter("all", bool, description="true：含已申请的"),
        ],
        responses=EligibleSerializer(many=True),
    )
    @action(detail=True, methods=["get"])
    def eligible(self, request: Request, pk: Any = None) -> Response:
        policy = self.get_object()
        region = eligible_region(request)
        period = request.query_params.get("period") or rules.period_key(policy)
        with service_errors():
            if request.query_params.get("all", "").lower() in ("1", "true", "yes"):
                qs = rules.eligible(policy, region, period)
            else:
                qs = s.unserved(policy, region, period)
        if policy.beneficiary_kind == c.BeneficiaryKind.PERSON:
            qs = qs.select_related("household")
        page = self.paginate_queryset(qs.order_by("pk"))
        return self.get_paginated_response([eligible_row(o) for o in page])


def eligible_region(request: Request) -> str:
    """The region asked for, which must lie inside the caller's jurisdiction."""
    own = jurisdiction_code(request.user) or ""
    region = (request.query_params.get("region") or own).strip()
    if not region.startswith(own) or (region and not region.isdigit()):
        raise exceptions.PermissionDenied(f"区划 {region} 不在您的管辖范围内")
    return region


# --- applications --------------------------------------------------------------------


class ApplicationSerializer(serializers.ModelSerializer):
    policy = serializers.PrimaryKeyRelatedField(queryset=Policy.objects.none())
    person = serializers.PrimaryKeyRelatedField(
        queryset=Person.objects.none(), required=False, allow_null=True
    )
    workshop = serializers.PrimaryKeyRelatedField(
        queryset=Workshop.objects.none(), required=False, allow_null=True
    )
    employer = serializers.PrimaryKeyRelatedField(
        queryset=Employer.objects.none(), required=False, allow_null=True
    )
    period = serializers.CharField(required=False, help_text="默认为当前所属期")
    beneficiary_name = serializers.CharField(read_only=True)
    person_id_number = serializers.SerializerMethodField(help_text="脱敏证件号码")
    bank_account = serializers.CharField(
        required=False, allow_blank=True, help_text="写入完整账号；读出默认脱敏"
    )
    status_display = serializers.CharField(source="get_status_display", read_only=True)

    class Meta:
        model = Application
        fields = [
            "id", "policy", "person", "workshop", "employer", "beneficiary_name",
            "person_id_number", "region", "period", "heads", "actual_cost", "amount", "status",
            "status_display", "eligible", "reasons", "reject_reason", "account_holder",
            "bank_name", "bank_account", "budget_year", "reversal_of", "created_by",
            "reviewed_by", "approved_by", "submitted_at", "reviewed_at", "approved_at",
            "paid_on", "failure_reason", "created_at",
        ]  # fmt: skip
        read_only_fields = [
            "region", "amount", "status", "eligible", "reasons", "reject_reason", "budget_year",
            "reversal_of", "created_by", "reviewed_by", "approved_by", "submitted_at",
            "reviewed_at", "approved_at", "paid_on", "failure_reason", "created_at",
        ]  # fmt: skip

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        user = getattr(request, "user", None)
        self.fields["policy"].queryset = Policy.objects.for_user(user)
        self.fields["person"].queryset = Person.objects.for_user(user)
        self.fields["workshop"].queryset = Workshop.objects.for_user(user)
        self.fields["employer"].queryset = Employer.objects.for_user(user)

    def get_person_id_number(self, obj: Application) -> str:
        return masked(obj.person.id_number) if obj.person_id else ""

    def to_representation(self, instance: Application) -> dict[str, Any]:
        data = super().to_representation(instance)
        if not self.context.get("reveal_accounts"):
            data["bank_account"] = masked(instance.bank_account)
        return data

    def get_validators(self) -> list[Any]:
        return []


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True)


class ApplicationViewSet(IdempotentMixin, ScopedViewSet):
    """补贴申请. Create = a draft checked against the policy (refused with the reasons when
    not eligible). POST …/submit/, …/review/, …/approve/, …/reject/ (reason), …/cancel/,
    …/reverse/ (reason). Filters: region, policy, status, period, q."""

    base_queryset = Application.objects
    serializer_class = ApplicationSerializer
    filterset_class = f.ApplicationFilter

    def get_queryset(self) -> Any:
        return (
            super()
            .get_queryset()
            .select_related("person", "workshop", "employer", "policy")
            .order_by("-id")
        )

    def get_serializer_context(self) -> dict[str, Any]:
        # Only the reads that audit the view reveal: a write or action answer (and the
        # idempotency record that stores it) keeps the account masked.
        reads = self.action in ("list", "retrieve")
        return {
            **super().get_serializer_context(),
            "reveal_accounts": reads and reveals_accounts(self.request),
        }

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        response = super().retrieve(request, *args, **kwargs)
        if reveals_accounts(request):
            audit.record(
                AuditLog.Action.VIEW_FULL_ID,
                self.get_object(),
                message="查看补贴申请的完整银行账号",
            )
        return response

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        response = super().list(request, *args, **kwargs)
        if reveals_accounts(request):
            ids = [row["id"] for row in response.data["results"]]
            audit.record(
                AuditLog.Action.VIEW_FULL_ID,
                object_type="subsidies.application",
                region_code=jurisdiction_code(request.user) or "",
                changes={"ids": ids},
                message=f"查看 {len(ids)} 条补贴申请的完整银行账号",
            )
        return response

    def perform_create(self, serializer: serializers.Serializer) -> None:
        data = dict(serializer.validated_data)
        beneficiary = data.pop("person", None) or data.pop("workshop", None)
        beneficiary = beneficiary or data.pop("employer", None)
        if beneficiary is None:
            raise exceptions.ValidationError(
                {"person": "请指定补贴对象（人员、扶贫车间或用人单位）"}
            )
        with service_errors():
            serializer.instance = s.create_application(
                acting_user=self.request.user,
                policy=data.pop("policy"),
                beneficiary=beneficiary,
                period=data.pop("period", None),
                data=data,
            )

    def perform_update(self, serializer: serializers.Serializer) -> None:
        data = {k: v for k, v in serializer.validated_data.items() if k in s.EDITABLE}
        with service_errors():
            serializer.instance = s.update_application(
                acting_user=self.request.user, application=serializer.instance, data=data
            )

    def _act(self, run: Callable[..., Application], **extra: Any) -> Response:
        app = self.get_object()
        with service_errors():
            app = run(acting_user=self.request.user, application=app, **extra)
        return Response(self.get_serializer(app).data)

    def _reason(self, request: Request) -> str:
        body = ReasonSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return body.validated_data.get("reason", "")

    @extend_schema(request=None, responses=ApplicationSerializer)
    @action(detail=True, methods=["post"])
    def submit(self, request: Request, pk: Any = None) -> Response:
        return self._act(s.submit)

    @extend_schema(request=None, responses=ApplicationSerializer)
    @action(detail=True, methods=["post"])
    def review(self, request: Request, pk: Any = None) -> Response:
        return self._act(s.review)

    @extend_schema(request=None, responses=ApplicationSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: Any = None) -> Response:
        return self._act(s.approve)

    @extend_schema(request=ReasonSerializer, responses=ApplicationSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: Any = None) -> Response:
        return self._act(s.reject, reason=self._reason(request))

    @extend_schema(request=ReasonSerializer, responses=ApplicationSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: Any = None) -> Response:
        return self._act(s.cancel, reason=self._reason(request))

    @extend_schema(request=ReasonSerializer, responses=ApplicationSerializer)
    @action(detail=True, methods=["post"])
    def reverse(self, request: Request, pk: Any = None) -> Response:
        app = self.get_object()
        with service_errors():
            reversal = s.reverse(
                acting_user=request.user, application=app, reason=self._reason(request)
            )
        return Response(self.get_serializer(reversal).data, status=status.HTTP_201_CREATED)


# --- payment batches and payments ----------------------------------------------------


class BatchPermissions(ScopedModelPermissions):
    """Reading batches needs the view permission; creating and importing, manage_batches."""

    perms_map = {**ScopedModelPermissions.perms_map, "POST": ["subsidies.manage_batches"]}


class PaymentBatchSerializer(serializers.ModelSerializer):
    applications = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**63 - 1),
        write_only=True,
        help_text="要发放的申请 id",
    )
    count = serializers.IntegerField(read_only=True)
    total = serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True)
    paid = serializers.IntegerField(read_only=True)
    failed = serializers.IntegerField(read_only=True)

    class Meta:
        model = PaymentBatch
        fields = [
            "id", "number", "region", "status", "note", "created_by", "sent_at", "closed_at",
            "withdrawn_reason", "created_at", "applications", "count", "total", "paid", "failed",
        ]  # fmt: skip
        read_only_fields = [
            "number", "region", "status", "created_by", "sent_at", "closed_at", "withdrawn_reason",
        ]  # fmt: skip

    def to_representation(self, instance: PaymentBatch) -> dict[str, Any]:
        data = super().to_representation(instance)
        totals = getattr(instance, "totals", None) or pay.batch_totals(instance)
        data.update(
            count=totals["count"],
            total=f"{Decimal(totals['total'] or 0):.2f}",
            paid=totals["paid"],
            failed=totals["failed"],
        )
        return data


class WithdrawSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=200, help_text="撤回原因（如银行未受理、批次有误）")


class ReturnFileSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="银行回盘文件（xlsx 或 csv：流水号、结果、失败原因）")


class PaymentBatchViewSet(IdempotentMixin, ScopedViewSet):
    """发放批次. Create from approved (or failed, to re-issue) application ids;
    GET …/bank-file/ (xlsx, accounts masked unless ?full_id=true and permitted);
    POST …/return-file/ (multipart `file`): marks payments paid or failed;
    POST …/withdraw/ {"reason"}: takes back a batch the bank has not answered."""

    http_method_names = ["get", "post", "head", "options"]
    base_queryset = PaymentBatch.objects
    serializer_class = PaymentBatchSerializer
    filterset_class = f.PaymentBatchFilter
    permission_classes = [BatchPermissions]

    def get_queryset(self) -> Any:
        return super().get_queryset().order_by("-id")

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """The page's totals in one GROUP BY (not one aggregate per batch)."""
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        batches = list(page) if page is not None else list(queryset)
        sums = {
            row.pop("batch"): row
            for row in Payment.objects.filter(batch__in=batches)
            .values("batch")
            .annotate(
                count=Count("id"),
                total=Sum("amount"),
                paid=Count("id", filter=Q(status=c.PaymentStatus.PAID)),
                failed=Count("id", filter=Q(status=c.PaymentStatus.FAILED)),
            )
            .order_by()
        }
        empty = {"count": 0, "total": None, "paid": 0, "failed": 0}
        for batch in batches:
            batch.totals = sums.get(batch.pk, empty)
        data = self.get_serializer(batches, many=True).data
        return self.get_paginated_response(data) if page is not None else Response(data)

    def perform_create(self, serializer: serializers.Serializer) -> None:
        data = serializer.validated_data
        ids = data["applications"]
        visible = set(
            Application.objects.for_user(self.request.user)
            .filter(pk__in=ids)
            .values_list("pk", flat=True)
        )
        if visible != set(ids):
            raise exceptions.ValidationError({"applications": "部分申请不存在或不在辖区内"})
        with service_errors():
            serializer.instance = pay.create_batch(
                acting_user=self.request.user, applications=ids, note=data.get("note", "")
            )

    @extend_schema(responses={(200, XLSX): bytes})
    @action(detail=True, methods=["get"], url_path="bank-file")
    def bank_file(self, request: Request, pk: Any = None) -> Any:
        batch = self.get_object()
        handle = tempfile.TemporaryFile()
        with service_errors():
            pay.write_bank_file(
                acting_user=request.user,
                batch=batch,
                out=handle,
                full=reveals_accounts(request),
            )
        handle.seek(0)
        stamp = timezone.localtime().strftime("%Y%m%d_%H%M")
        return FileResponse(
            handle,
            as_attachment=True,
            filename=f"代发_{batch.number}_{stamp}.xlsx",
            content_type=XLSX,
        )

    @extend_schema(request=WithdrawSerializer, responses=PaymentBatchSerializer)
    @action(detail=True, methods=["post"])
    def withdraw(self, request: Request, pk: Any = None) -> Response:
        batch = self.get_object()
        body = WithdrawSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        with service_errors():
            batch = pay.withdraw_batch(
                acting_user=request.user, batch=batch, reason=body.validated_data["reason"]
            )
        return Response(PaymentBatchSerializer(batch).data)

    @extend_schema(request={"multipart/form-data": ReturnFileSerializer}, responses=dict)
    @action(
        detail=True,
        methods=["post"],
        url_path="return-file",
        parser_classes=[MultiPartParser, FormParser],
    )
    def return_file(self, request: Request, pk: Any = None) -> Response:
        batch = self.get_object()
        body = ReturnFileSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        upload = body.validated_data["file"]
        try:
            counts = pay.import_return(
                acting_user=request.user, batch=batch, source=upload, filename=upload.name
            )
        except DjangoValidationError as exc:
            raise exceptions.ValidationError({"file": exc.messages}) from exc
        return Response(counts)


class PaymentSerializer(serializers.ModelSerializer):
    bank_account = serializers.SerializerMethodField(help_text="脱敏银行账号")
    status_display = serializers.CharField(source="get_status_display", read_only=True)

    class Meta:
        model = Payment
        fields = [
            "id", "batch", "application", "amount", "account_holder", "bank_name",
            "bank_account", "status", "status_display", "paid_on", "failure_reason",
        ]  # fmt: skip

    def get_bank_account(self, obj: Payment) -> str:
        return masked(obj.bank_account)


class PaymentViewSet(viewsets.ReadOnlyModelViewSet):
    """发放记录（只读）: one per application per batch; filters batch, application,
    status, region."""

    serializer_class = PaymentSerializer
    filterset_class = f.PaymentFilter

    def get_queryset(self) -> Any:
        return Payment.objects.for_user(self.request.user).order_by("id")


ROUTES = [
    ("policies", PolicyViewSet, "api-policy"),
    ("subsidy-applications", ApplicationViewSet, "api-subsidy-application"),
    ("payment-batches", PaymentBatchViewSet, "api-payment-batch"),
    ("payments", PaymentViewSet, "api-payment"),
]


def register(router: Any) -> None:
    """Add the subsidy viewsets to the API router."""
    for prefix, viewset_class, basename in ROUTES:
        router.register(prefix, viewset_class, basename=basename)
