"""API for laborers, employment records and services (registered on the project router by
`register`). Scoped by `for_user` (404 outside), ID numbers masked, writes through services."""

from __future__ import annotations

import datetime
from typing import Any

import django_filters
from django.conf import settings
from django.db.models import F
from rest_framework import serializers, viewsets

from fupin.core.api import ScopedViewSet, service_errors
from fupin.core.drf import ScopedModelPermissions
from fupin.core.filters import RegionFilter
from fupin.employment import choices as c
from fupin.employment import services
from fupin.employment.laborer_filters import LaborerFilter, scoped_laborers
from fupin.employment.models import Employer, EmploymentRecord, Service
from fupin.regions.models import Region
from fupin.registry.idnumbers import mask_id_number
from fupin.registry.models import Person


class LaborerPermissions(ScopedModelPermissions):
    """Laborers are persons, but reading them is an employment permission."""

    def get_required_permissions(self, method: str, model_cls: Any) -> list[str]:
        return ["employment.view_employmentrecord"]


class LaborerSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    id_number = serializers.SerializerMethodField(help_text="脱敏的证件号码")
    sex = serializers.CharField()
    birth_date = serializers.DateField()
    village_code = serializers.CharField()
    status = serializers.CharField(allow_null=True)
    form = serializers.CharField(allow_null=True)
    location_tier = serializers.CharField(allow_null=True)
    location_tier_label = serializers.SerializerMethodField()
    destination_code = serializers.CharField(source="destination_id", allow_null=True)
    monthly_income = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)

    def get_id_number(self, obj: Person) -> str:
        return mask_id_number(
            obj.id_number, settings.FUPIN_ID_MASK_HEAD, settings.FUPIN_ID_MASK_TAIL
        )

    def get_location_tier_label(self, obj: Person) -> str:
        return c.tier_label(obj.location_tier or "", obj.village_code)


class LaborerViewSet(viewsets.ReadOnlyModelViewSet):
    """贫困劳动力 with their current employment state. Filters: region (code prefix), status
    (employed / unemployed / not_seeking / unrecorded), form, transferred=true (employed,
    not farming), near_home=true, unverified=true, q (name, pinyin, initials)."""

    serializer_class = LaborerSerializer
    filterset_class = LaborerFilter
    permission_classes = [LaborerPermissions]
    queryset = Person.objects.none()  # for the permission class and the schema

    def get_queryset(self) -> Any:
        # Only the columns the rows show: building full person and household models (and
        # converting their timestamps) was most of the time of a page.
        return (
            scoped_laborers(self.request.user, verified=False)
            .only("id", "name", "id_number", "sex", "birth_date")
            .annotate(village_code=F("household__village_id"))
            .order_by("id")
        )


class ServiceFilter(django_filters.FilterSet):
    region = RegionFilter()
    service_type = django_filters.ChoiceFilter(label="服务类型", choices=c.ServiceType.choices)
    year = django_filters.NumberFilter(label="年度", field_name="date", lookup_expr="year")
    person = django_filters.NumberFilter(label="人员ID", field_name="person_id")

    class Meta:
        model = Service
        fields = ["region", "service_type", "year", "person"]


class ScopedPersonField(serializers.PrimaryKeyRelatedField):
    """A person id limited to the caller's jurisdiction (others read as 'does not exist')."""

    def get_queryset(self) -> Any:
        return Person.objects.for_user(self.context["request"].user)


class ServiceSerializer(serializers.ModelSerializer):
    person = ScopedPersonField()
    person_name = serializers.CharField(source="person.name", read_only=True)
    village_code = serializers.CharField(source="person.household.village_id", read_only=True)

    class Meta:
        model = Service
        fields = [
            "id",
            "person",
            "person_name",
            "village_code",
            "service_type",
            "date",
            "staff_name",
            "note",
            "created_at",
        ]
        read_only_fields = ["created_at"]


class CreateListRetrieveViewSet(ScopedViewSet):
    """List, retrieve and create; records are corrected by a new dated entry, not edited."""

    http_method_names = ["get", "post", "head", "options"]


class ServiceViewSet(CreateListRetrieveViewSet):
    """就业服务. Filters: region, service_type, year, person. POST records a service."""

    base_queryset = Service.objects
    serializer_class = ServiceSerializer
    filterset_class = ServiceFilter

    def get_queryset(self) -> Any:
        return super().get_queryset().select_related("person__household").order_by("-date", "-id")

    def perform_create(self, serializer: serializers.Serializer) -> None:
        data = dict(serializer.validated_data)
        with service_errors():
            serializer.instance = services.add_service(
                acting_user=self.request.user,
                person=data.pop("person"),
                service_type=data["service_type"],
                date=data["date"],
                note=data.get("note", ""),
                staff_name=data.get("staff_name", ""),
            )


class EmploymentRecordFilter(django_filters.FilterSet):
    region = RegionFilter()
    person = django_filters.NumberFilter(label="人员ID", field_name="person_id")
    status = django_filters.ChoiceFilter(label="就业状态", choices=c.Status.choices)
    current = django_filters.BooleanFilter(
        label="当前状态", field_name="valid_to", lookup_expr="isnull"
    )

    class Meta:
        model = EmploymentRecord
        fields = ["region", "person", "status", "current"]


class EmploymentRecordSerializer(serializers.ModelSerializer):
    person = ScopedPersonField()
    valid_from = serializers.DateField(required=False, help_text="默认为今天")
    destination = serializers.PrimaryKeyRelatedField(
        queryset=Region.objects.all(), required=False, allow_null=True, help_text="区划代码"
    )
    employer = serializers.PrimaryKeyRelatedField(
        queryset=Employer.objects.none(), required=False, allow_null=True
    )

    class Meta:
        model = EmploymentRecord
        fields = [
            "id",
            "person",
            "valid_from",
            "valid_to",
            "status",
            "not_seeking_reason",
            "form",
            "location_tier",
            "destination",
            "employer",
            "employer_name",
            "trade",
            "start_date",
            "end_date",
            "monthly_income",
            "channel",
            "has_contract",
            "has_social_insurance",
        ]
        read_only_fields = ["valid_to"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["employer"].queryset = Employer.objects.for_user(request.user)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        # Consistency rules (employed needs a form …) are the service's, with its messages.
        return attrs


class EmploymentRecordViewSet(CreateListRetrieveViewSet):
    """就业情况 (dated states, history included). Filters: region, person, status, current.
    POST records a new state through the service (the previous one is closed)."""

    base_queryset = EmploymentRecord.objects
    serializer_class = EmploymentRecordSerializer
    filterset_class = EmploymentRecordFilter

    def get_queryset(self) -> Any:
        return super().get_queryset().order_by("person_id", "-valid_from", "-id")

    def perform_create(self, serializer: serializers.Serializer) -> None:
        data = dict(serializer.validated_data)
        person = data.pop("person")
        valid_from: datetime.date | None = data.pop("valid_from", None)
        for field in ("destination", "employer"):
            if field in data:
                value = data.pop(field)
                data[f"{field}_id"] = value.pk if value is not None else None
        with service_errors():
            serializer.instance = services.record_employment(
                acting_user=self.request.user, person=person, data=data, valid_from=valid_from
            )


def register(router: Any) -> None:
    """Add this module's viewsets to the API router."""
    router.register("laborers", LaborerViewSet, basename="api-laborer")
    router.register("services", ServiceViewSet, basename="api-service")
    router.register("employment-records", EmploymentRecordViewSet, basename="api-employment-record")
