"""REST API for households and persons: scoped, masked, writes through services."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Prefetch
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from fupin.core import audit
from fupin.core.api import ScopedViewSet, service_errors
from fupin.core.models import AuditLog
from fupin.registry import choices as c
from fupin.registry import services
from fupin.registry.filters import HouseholdFilter, PersonFilter, matching_people, with_list_columns
from fupin.registry.idnumbers import mask_id_number
from fupin.registry.models import Household, Person


def reveals_full_ids(request: Request) -> bool:
    """Full numbers only on explicit request (?full_id=true) by a permitted user."""
    wanted = request.query_params.get("full_id", "").lower() in ("1", "true", "yes")
    return wanted and request.user.has_perm("registry.view_full_id")


class IdNumberField(serializers.CharField):
    """Accepts a full number on write; answers masked unless the caller may and asks."""

    def to_representation(self, value: Any) -> str:
        if self.context.get("reveal_ids"):
            return str(value)
        return mask_id_number(str(value), settings.FUPIN_ID_MASK_HEAD, settings.FUPIN_ID_MASK_TAIL)


class PersonSerializer(serializers.ModelSerializer):
    id_number = IdNumberField(max_length=30, help_text="写入时为完整号码；读出时默认脱敏")
    household = serializers.PrimaryKeyRelatedField(queryset=Household.objects.none())

    class Meta:
        model = Person
        fields = [
            "id",
            "household",
            "relation",
            "name",
            "id_number",
            "sex",
            "birth_date",
            "ethnicity",
            "education",
            "school_status",
            "health",
            "disability_grade",
            "labor_ability",
            "phone",
            "removed_on",
            "removal_reason",
        ]
        read_only_fields = ["sex", "birth_date", "removed_on", "removal_reason"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None and "household" in self.fields:
            self.fields["household"].queryset = Household.objects.for_user(request.user)
        if self.instance is not None and not isinstance(self.instance, list | tuple):
            self.fields["household"].read_only = True
        for name in ("relation", "name", "id_number"):
            self.fields[name].required = self.instance is None
        self.fields["id_number"].validators = []


class MemberSerializer(PersonSerializer):
    class Meta(PersonSerializer.Meta):
        fields = [f for f in PersonSerializer.Meta.fields if f != "household"]


class HouseholdSerializer(serializers.ModelSerializer):
    village_code = serializers.CharField(source="village_id", help_text="12 位村（社区）区划代码")
    village_name = serializers.CharField(source="village.name", read_only=True)
    township_code = serializers.SerializerMethodField()
    head_name = serializers.CharField(read_only=True)
    member_count = serializers.IntegerField(read_only=True)
    members = MemberSerializer(many=True, required=False)
    other_causes = serializers.ListField(
        child=serializers.ChoiceField(choices=c.PovertyCause.choices), required=False
    )

    class Meta:
        model = Household
        fields = [
            "id",
            "number",
            "village_code",
            "village_name",
            "township_code",
            "household_type",
            "status",
            "identified_year",
            "exit_year",
            "main_cause",
            "other_causes",
            "phone",
            "helper_name",
            "helper_phone",
            *c.ASSURANCE_FIELDS,
            "head_name",
            "member_count",
            "members",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]

    def get_township_code(self, obj: Household) -> str:
        return obj.village_id[:9]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["number"].validators = []
        if self.instance is not None:
            self.fields["members"].read_only = True


class HouseholdViewSet(ScopedViewSet):
    """贫困户. Filters: region (code prefix), status, household_type, main_cause, q (name,
    pinyin, initials or household number — full ID numbers only via POST /api/persons/lookup/)."""

    base_queryset = Household.objects
    serializer_class = HouseholdSerializer
    filterset_class = HouseholdFilter

    def get_queryset(self) -> Any:
        active = Person.objects.filter(removed_on__isnull=True).order_by("id")
        return (
            with_list_columns(super().get_queryset())
            .prefetch_related(Prefetch("members", queryset=active))
            .order_by("number")
        )

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), "reveal_ids": reveals_full_ids(self.request)}

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        response = super().list(request, *args, **kwargs)
        _audit_reveal(request, [m for h in response.data["results"] for m in h["members"]])
        return response

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        response = super().retrieve(request, *args, **kwargs)
        _audit_reveal(request, response.data["members"])
        return response

    def perform_create(self, serializer: serializers.Serializer) -> None:
        data = dict(serializer.validated_data)
        members = [dict(m) for m in data.pop("members", [])]
        with service_errors():
            serializer.instance = services.register_household(
                acting_user=self.request.user, household=data, members=members
            )

    def perform_update(self, serializer: serializers.Serializer) -> None:
        data = dict(serializer.validated_data)
        data.pop("members", None)
        with service_errors():
            serializer.instance = services.update_household(
                acting_user=self.request.user, household=serializer.instance, data=data
            )

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        response = super().create(request, *args, **kwargs)
        return self._fresh(response)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        response = super().update(request, *args, **kwargs)
        return self._fresh(response)

    def _fresh(self, response: Response) -> Response:
        """Answer with the stored record (annotations and members included)."""
        obj = self.get_queryset().get(pk=response.data["id"])
        response.data = self.get_serializer(obj).data
        return response


class IdLookupSerializer(serializers.Serializer):
    id_number = serializers.CharField(max_length=30)


class PersonViewSet(ScopedViewSet):
    """家庭成员. Filters: region, household, relation, sex, labor_ability, health, active, q."""

    base_queryset = Person.objects
    serializer_class = PersonSerializer
    filterset_class = PersonFilter

    def get_queryset(self) -> Any:
        return super().get_queryset().select_related("household").order_by("id")

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), "reveal_ids": reveals_full_ids(self.request)}

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        response = super().list(request, *args, **kwargs)
        _audit_reveal(request, response.data["results"])
        return response

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        response = super().retrieve(request, *args, **kwargs)
        _audit_reveal(request, [response.data])
        return response

    def perform_create(self, serializer: serializers.Serializer) -> None:
        data = dict(serializer.validated_data)
        household = data.pop("household")
        with service_errors():
            serializer.instance = services.add_member(
                acting_user=self.request.user, household=household, data=data
            )

    def perform_update(self, serializer: serializers.Serializer) -> None:
        data = dict(serializer.validated_data)
        data.pop("household", None)
        with service_errors():
            serializer.instance = services.update_person(
                acting_user=self.request.user, person=serializer.instance, data=data
            )

    @extend_schema(
        request=IdLookupSerializer,
        responses=PersonSerializer,
        parameters=[OpenApiParameter("full_id", bool, description="返回完整证件号码（需权限）")],
    )
    @action(detail=False, methods=["post"])
    def lookup(self, request: Request) -> Response:
        """Find a person by full ID number (sent in the body, never in a URL)."""
        body = IdLookupSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        condition = matching_people(body.validated_data["id_number"])
        person = self.get_queryset().filter(condition).first() if condition is not None else None
        if person is None:
            raise NotFound("辖区内没有该证件号码的人员")
        data = self.get_serializer(person).data
        _audit_reveal(request, [data])
        return Response(data, status=status.HTTP_200_OK)


def _audit_reveal(request: Request, people: list[dict[str, Any]]) -> None:
    """Each full number the API hands out is a full-ID view in the audit log."""
    if not people or not reveals_full_ids(request):
        return
    ids = [p["id"] for p in people]
    persons = Person.objects.filter(pk__in=ids).select_related("household")
    with transaction.atomic():
        audit.record_many(
            [
                audit.build(
                    AuditLog.Action.VIEW_FULL_ID,
                    p,
                    region_code=p.household.village_id,
                    context_key=services.household_context(p.household_id),
                )
                for p in persons
            ]
        )
