"""The laborer list's xlsx export: the list's filters applied to the user's laborers
(`for_user` through scoped_laborers), IDs masked unless permitted, audited."""

from __future__ import annotations

import tempfile

from django.contrib.auth.decorators import login_required, permission_required
from django.http import FileResponse, HttpRequest, HttpResponse, QueryDict
from django.utils import timezone

from fupin.core import audit
from fupin.employment.laborer_exports import PERMISSIONS, export_laborers, export_queryset
from fupin.employment.laborer_filters import LaborerFilter

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
IGNORED = ("page", "page_size", "ordering", "csrfmiddlewaretoken", "querystring")


def export_params(request: HttpRequest) -> QueryDict:
    """The list's filters: from the query string, or (the button, by POST) from the list's
    own query string sent in `querystring`."""
    params = request.GET.copy()
    if request.method == "POST":
        params.update(QueryDict(request.POST.get("querystring", "")))
    if not params.get("region") and params.get("region__township"):
        params["region"] = params["region__township"]
    for key in IGNORED:
        params.pop(key, None)
    return params


@login_required
@permission_required(PERMISSIONS, raise_exception=True)
def laborer_export(request: HttpRequest) -> HttpResponse:
    """The current filter as xlsx, streamed from a temporary file."""
    params = export_params(request)
    filterset = LaborerFilter(params, queryset=export_queryset(request.user), request=request)
    described = audit.ids_masked("；".join(f"{k}={v}" for k, v in params.items() if v))
    handle = tempfile.TemporaryFile()
    export_laborers(
        filterset.qs,
        handle,
        user=request.user,
        description=f"筛选条件：{described}" if described else "",
    )
    handle.seek(0)
    stamp = timezone.localtime().strftime("%Y%m%d_%H%M")
    return FileResponse(
        handle, as_attachment=True, filename=f"贫困劳动力_{stamp}.xlsx", content_type=XLSX
    )
