"""Statistics report (/stats/), its xlsx export, the dashboard (/stats/dashboard/) and its
JSON data. Every role that may see figures (core.view_figures, leaders included) gets
them for their own jurisdiction only: `figures` refuses any other region."""

from __future__ import annotations

import datetime
import tempfile
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone

from fupin.core.models import jurisdiction_code
from fupin.regions.widgets import RegionPicker
from fupin.stats.dashboard import dashboard_data
from fupin.stats.figures import figures
from fupin.stats.report import (
    FLOW_NOTE,
    child_label,
    headline_rows,
    parse_as_of,
    province_names,
    township_table,
    write_xlsx,
)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TILES = [
    ("laborers", "贫困劳动力"),
    ("transferred", "转移就业"),
    ("coverage", "就业服务覆盖率"),
    ("unemployed_with_needs", "未就业有需求"),
    ("workshops", "扶贫车间"),
    ("workshop_laborers", "车间吸纳就业"),
    ("public_welfare_on_post", "公益性岗位在岗"),
    ("startup_loan_amount", "创业担保贷款（元）"),
    ("training_enrollments", "培训人次"),
    ("recruitment_events", "招聘活动"),
    ("posts_offered", "提供岗位"),
    ("export_workers", "有组织劳务输出"),
]


class StatsForm(forms.Form):
    """Region (the picker, limited to the jurisdiction; empty = all of it) and date."""

    region = forms.CharField(label="区域", required=False)
    as_of = forms.CharField(
        label="截止日期", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["region"].widget = RegionPicker(user=user, allow_township=True)

    def clean_region(self) -> str:
        code = self.cleaned_data["region"].strip()
        if code and not code.isdigit():
            raise ValidationError("区划代码只能包含数字")
        return code

    def clean_as_of(self) -> datetime.date:
        return parse_as_of(self.cleaned_data["as_of"])


def _params(request: HttpRequest) -> tuple[StatsForm, str, datetime.date]:
    """The form, region code (empty: the whole jurisdiction) and date from the query
    string; an invalid date shows its error on the form and counts as of today."""
    form = StatsForm(request.GET or None, user=request.user)
    if not form.is_bound:
        return form, "", datetime.date.today()
    form.is_valid()
    data = form.cleaned_data
    return form, data.get("region", ""), data.get("as_of", datetime.date.today())


def _query(code: str, day: datetime.date) -> str:
    return f"region={code}&as_of={day.isoformat()}"


@login_required
@permission_required("core.view_figures", raise_exception=True)
def report(request: HttpRequest) -> HttpResponse:
    """The headline table and the per-township (or per-village) table."""
    form, code, day = _params(request)
    data = figures(code, day, request.user)
    headers, rows, totals = township_table(data)
    return render(
        request,
        "stats/report.html",
        {
            "form": form,
            "data": data,
            "headline": headline_rows(data, province_names(data)),
            "headers": headers,
            "rows": rows,
            "totals": totals,
            "child_label": child_label(data["region"]["code"]),
            "query": _query(data["region"]["code"], day),
            "note": FLOW_NOTE,
        },
    )


@login_required
@permission_required("core.view_figures", raise_exception=True)
def export(request: HttpRequest) -> FileResponse:
    """The same tables as xlsx, audited (who, which region and date)."""
    _, code, day = _params(request)
    data = figures(code, day, request.user)
    handle = tempfile.TemporaryFile()
    write_xlsx(data, handle, description=f"截止日期 {day:%Y-%m-%d}")
    handle.seek(0)
    stamp = timezone.localtime().strftime("%Y%m%d_%H%M")
    name = f"{data['region']['name']}就业帮扶统计_{day:%Y%m%d}_{stamp}.xlsx"
    return FileResponse(handle, as_attachment=True, filename=name, content_type=XLSX)


@login_required
@permission_required("core.view_figures", raise_exception=True)
def dashboard(request: HttpRequest) -> HttpResponse:
    """数据驾驶舱: figure tiles (rendered here) and charts drawn from `dashboard_json`."""
    form, code, day = _params(request)
    data = figures(code, day, request.user)
    region_code = data["region"]["code"]
    own = jurisdiction_code(request.user) or ""
    parent = region_code[: {12: 9, 9: 6}.get(len(region_code), 0)]
    tiles = []
    for key, label in TILES:
        value = data[key]
        text = f"{100 * value:.1f}%" if key == "coverage" else f"{value:,}"
        tiles.append({"key": key, "label": label, "value": value, "text": text})
    return render(
        request,
        "stats/dashboard.html",
        {
            "form": form,
            "data": data,
            "tiles": tiles,
            "query": _query(region_code, day),
            "as_of": day,
            "child_label": child_label(region_code),
            # Back up one level, but never above the user's jurisdiction.
            "up": parent if parent and parent.startswith(own) and parent != region_code else "",
        },
    )


@login_required
def dashboard_json(request: HttpRequest) -> JsonResponse:
    """The dashboard's chart data as JSON; errors as JSON with a Chinese message."""
    if not request.user.has_perm("core.view_figures"):
        return JsonResponse({"error": "您的角色没有查看统计数据的权限"}, status=403)
    try:
        day = parse_as_of(request.GET.get("as_of"))
        data = dashboard_data(request.GET.get("region", ""), day, request.user)
    except ValidationError as exc:
        return JsonResponse({"error": " ".join(exc.messages)}, status=400)
    except PermissionDenied as exc:
        return JsonResponse({"error": str(exc) or "无权查看该区域"}, status=403)
    except Http404 as exc:
        return JsonResponse({"error": str(exc) or "区划不存在"}, status=404)
    return JsonResponse(data, json_dumps_params={"ensure_ascii": False})
