"""`/api/recommendations/?laborer=ID` or `?job=ID`: stored recommendations with the posting,
the laborer, the score and the reasons. Scoped by `for_user` (the user's laborers, the
postings they see)."""

from __future__ import annotations

from typing import Any

import django_filters
from rest_framework import serializers, viewsets

from fupin.core.drf import ScopedModelPermissions
from fupin.core.filters import RegionFilter
from fupin.matching.models import Recommendation
from fupin.matching.selectors import recommendations

MAX_ID = 2**63 - 1


class RecommendationFilter(django_filters.FilterSet):
    # Bounded: an id beyond the database's integer range is a 400, not a 500.
    laborer = django_filters.NumberFilter(
        label="劳动力（人员）ID", field_name="person_id", min_value=0, max_value=MAX_ID
    )
    job = django_filters.NumberFilter(
        label="岗位ID", field_name="posting_id", min_value=0, max_value=MAX_ID
    )
    region = RegionFilter()

    class Meta:
        model = Recommendation
        fields = ["laborer", "job", "region"]


class PostingBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    region_code = serializers.CharField(source="region_id")
    employer = serializers.CharField(source="employer.name")


class MatchReasonSerializer(serializers.Serializer):
    factor = serializers.CharField()
    label = serializers.CharField()
    points = serializers.FloatField()
    text = serializers.CharField()


class RecommendationSerializer(serializers.ModelSerializer):
    laborer = serializers.IntegerField(source="person_id")
    posting = PostingBriefSerializer()
    score = serializers.FloatField()
    explanation = MatchReasonSerializer(many=True)

    class Meta:
        model = Recommendation
        fields = ["id", "laborer", "posting", "score", "rank", "explanation", "run_at"]


class RecommendationViewSet(viewsets.ReadOnlyModelViewSet):
    """岗位推荐 from the last matching run. Filters: laborer (person id), job (posting id),
    region (code prefix). Ordered by laborer and rank, or by score for one job."""

    serializer_class = RecommendationSerializer
    filterset_class = RecommendationFilter
    permission_classes = [ScopedModelPermissions]
    queryset = Recommendation.objects.none()  # for the permission class and the schema

    def get_queryset(self) -> Any:
        queryset = recommendations(self.request.user).select_related("posting__employer")
        if self.request.query_params.get("job"):
            return queryset.order_by("-score", "person_id")
        return queryset.order_by("person_id", "rank")


def register(router: Any) -> None:
    router.register("recommendations", RecommendationViewSet, basename="api-recommendation")
