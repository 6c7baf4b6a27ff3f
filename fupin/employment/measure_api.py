"""API for employers, jobs, events and the measures (added to the router by `register`).

Each viewset is scoped (`for_user`), paginated with `count`, filtered by the same filter
sets as the pages (`region` = code prefix), and writes through the services. People are
referred to by id and shown by name with a masked ID number, never the full number.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from fupin.core.api import ScopedViewSet, service_errors
from fupin.core.generic import masked
from fupin.employment import measure_filters as f
from fupin.employment import measure_services as s
from fupin.employment import models as m
from fupin.employment.measure_views import workshop_employed
from fupin.regions.models import Region
from fupin.registry.models import Person


class ScopedSerializer(serializers.ModelSerializer):
    """Related choices limited to what the caller may see; region fields as codes;
    uniqueness and cross-field rules left to the services (clear messages)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        user = getattr(request, "user", None)
        for field in self.fields.values():
            target = getattr(field, "child_relation", field)
            queryset = getattr(target, "queryset", None)
            if queryset is None or queryset.model is Region:
                continue
            if queryset.model is Person:
                target.queryset = Person.objects.for_user(user).filter(removed_on__isnull=True)
            elif hasattr(queryset.model.objects, "for_user"):
                target.queryset = queryset.model.objects.for_user(user)
            field.validators = [v for v in field.validators if "Unique" not in type(v).__name__]

    def get_validators(self) -> list[Any]:
        return []


class PersonMixin(serializers.Serializer):
    person_name = serializers.CharField(source="person.name", read_only=True)
    person_id_number = serializers.SerializerMethodField(help_text="脱敏证件号码")

    def get_person_id_number(self, obj: Any) -> str:
        return masked(obj.person.id_number)


def serializer(model_: Any, base: Any = ScopedSerializer, **extra: Any) -> Any:
    meta = type("Meta", (), {"model": model_, "fields": "__all__"})
    return type(f"{model_.__name__}Serializer", (base,), {"Meta": meta, **extra})


class EmployerSerializer(ScopedSerializer):
    credit_code = serializers.CharField(max_length=18)

    class Meta:
        model = m.Employer
        fields = "__all__"


class PlacementSerializer(PersonMixin, ScopedSerializer):
    class Meta:
        model = m.Placement
        fields = "__all__"
        read_only_fields = ["end", "end_reason"]


class StartupSerializer(PersonMixin, ScopedSerializer):
    class Meta:
        model = m.Startup
        fields = "__all__"


class EnrollmentSerializer(PersonMixin, ScopedSerializer):
    class Meta:
        model = m.Enrollment
        fields = "__all__"


class WorkshopSerializer(ScopedSerializer):
    employed = serializers.IntegerField(read_only=True, help_text="在岗的贫困劳动力人数")

    class Meta:
        model = m.Workshop
        fields = "__all__"


class ServiceViewSet(ScopedViewSet):
    """Creates and updates through `save(acting_user=, instance=, data=)`."""

    save: Any = None
    select: tuple[str, ...] = ()
    annotate: Any = None  # e.g. the page resource's annotate (same figures as the pages)

    def get_queryset(self) -> Any:
        queryset = super().get_queryset().select_related(*self.select).order_by("pk")
        return type(self).annotate(queryset) if self.annotate else queryset

    def perform_create(self, serializer: serializers.Serializer) -> None:
        with service_errors():
            serializer.instance = type(self).save(
                acting_user=self.request.user, data=dict(serializer.validated_data)
            )

    def perform_update(self, serializer: serializers.Serializer) -> None:
        with service_errors():
            serializer.instance = type(self).save(
                acting_user=self.request.user,
                instance=serializer.instance,
                data=dict(serializer.validated_data),
            )


def viewset(
    model_: Any,
    filterset: Any,
    save: Any,
    ser: Any = None,
    select: tuple = (),
    annotate: Any = None,
) -> Any:
    return type(
        f"{model_.__name__}ViewSet",
        (ServiceViewSet,),
        {
            "__doc__": f"{model_._meta.verbose_name}（筛选：region 区划代码前缀等）",
            "base_queryset": model_.objects,
            "serializer_class": ser or serializer(model_),
            "filterset_class": filterset,
            "save": staticmethod(save),
            "select": select,
            "annotate": staticmethod(annotate) if annotate else None,
        },
    )


def _place(*, acting_user: Any, instance: Any = None, data: dict[str, Any]) -> Any:
    if instance is not None:
        from django.core.exceptions import ValidationError

        raise ValidationError("安置记录不能修改；离岗请在岗位页面办理")
    return s.place_on_post(
        acting_user=acting_user, post=data["post"], person=data["person"], start=data["start"]
    )


def _enroll(*, acting_user: Any, instance: Any = None, data: dict[str, Any]) -> Any:
    if instance is not None:
        return s.update_enrollment(acting_user=acting_user, instance=instance, data=data)
    return s.enroll(acting_user=acting_user, training=data["training"], person=data["person"])


EmployerViewSet = viewset(m.Employer, f.EmployerFilter, s.save_employer, EmployerSerializer)
JobPostingViewSet = viewset(m.JobPosting, f.JobPostingFilter, s.save_job_posting)
RecruitmentEventViewSet = viewset(
    m.RecruitmentEvent, f.RecruitmentEventFilter, s.save_recruitment_event
)
WorkshopViewSet = viewset(
    m.Workshop, f.WorkshopFilter, s.save_workshop, WorkshopSerializer, annotate=workshop_employed
)
PublicWelfarePostViewSet = viewset(
    m.PublicWelfarePost, f.PublicWelfarePostFilter, s.save_public_welfare_post
)


class EndPlacementSerializer(serializers.Serializer):
    end = serializers.DateField(label="离岗日期")
    reason = serializers.CharField(label="离岗原因", max_length=200)


class PlacementViewSet(
    viewset(m.Placement, f.PlacementFilter, _place, PlacementSerializer, ("person",))
):
    """公益性岗位安置. Filters: region, active (true: on the post now), post, q.
    Create = place a person on a post; POST …/end/ = 离岗."""

    @extend_schema(request=EndPlacementSerializer, responses=PlacementSerializer)
    @action(detail=True, methods=["post"])
    def end(self, request: Request, pk: Any = None) -> Response:
        placement = self.get_object()
        body = EndPlacementSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        with service_errors():
            placement = s.end_placement(
                acting_user=request.user,
                placement=placement,
                end=body.validated_data["end"],
                reason=body.validated_data["reason"],
            )
        return Response(self.get_serializer(placement).data)


StartupViewSet = viewset(m.Startup, f.StartupFilter, s.save_startup, StartupSerializer, ("person",))
LoanViewSet = viewset(m.Loan, f.LoanFilter, s.save_loan)
TrainingClassViewSet = viewset(m.TrainingClass, f.TrainingClassFilter, s.save_training_class)
EnrollmentViewSet = viewset(
    m.Enrollment, f.EnrollmentFilter, _enroll, EnrollmentSerializer, ("person",)
)
ExportBatchViewSet = viewset(m.ExportBatch, f.ExportBatchFilter, s.save_export_batch)

ROUTES = [
    ("employers", EmployerViewSet, "api-employer"),
    ("jobs", JobPostingViewSet, "api-job"),
    ("recruitment-events", RecruitmentEventViewSet, "api-recruitment-event"),
    ("workshops", WorkshopViewSet, "api-workshop"),
    ("public-welfare-posts", PublicWelfarePostViewSet, "api-public-welfare-post"),
    ("placements", PlacementViewSet, "api-placement"),
    ("startups", StartupViewSet, "api-startup"),
    ("loans", LoanViewSet, "api-loan"),
    ("trainings", TrainingClassViewSet, "api-training"),
    ("enrollments", EnrollmentViewSet, "api-enrollment"),
    ("export-batches", ExportBatchViewSet, "api-export-batch"),
]


def register(router: Any) -> None:
    """Add this module's viewsets to the API router."""
    for prefix, viewset_class, basename in ROUTES:
        router.register(prefix, viewset_class, basename=basename)
