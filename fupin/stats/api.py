"""`GET /api/stats/?region=CODE&as_of=YYYY-MM-DD`: the figures of `figures()` as JSON
(session or token auth; the caller's jurisdiction only)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import permissions
from rest_framework.exceptions import ValidationError as DRFValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from fupin.stats.figures import figures
from fupin.stats.report import parse_as_of


class CanViewFigures(permissions.BasePermission):
    message = "您的角色没有查看统计数据的权限"

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.has_perm("core.view_figures"))


class StatsView(APIView):
    """Headline indicators of a region on a date, with the per-township (or per-village)
    breakdown in `townships`. A region outside the caller's jurisdiction answers 403."""

    permission_classes = [CanViewFigures]

    @extend_schema(
        parameters=[
            OpenApiParameter("region", str, description="区划代码，默认为本人管辖区域"),
            OpenApiParameter("as_of", OpenApiTypes.DATE, description="截止日期，默认今天"),
        ],
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request: Request) -> Response:
        try:
            day = parse_as_of(request.query_params.get("as_of"))
        except ValidationError as exc:
            raise DRFValidationError({"as_of": exc.messages}) from exc
        region = request.query_params.get("region", "").strip()
        return Response(figures(region, day, request.user))
