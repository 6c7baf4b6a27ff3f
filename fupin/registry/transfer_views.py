"""Household import pages (declared on fupin.core.import_pages) and the list export."""

from __future__ import annotations

import tempfile

from django.contrib.auth.decorators import login_required, permission_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fupin.core.import_pages import XLSX, ImportPages, Tile
from fupin.registry.exports import export_households
from fupin.registry.imports import import_households, write_errors, write_template
from fupin.registry.views import filtered_households

import_pages = ImportPages(
    name="household-import",
    kind="import_households",
    permission="registry.import_households",
    title=_("导入贫困户"),
    intro=_(
        "每行一人。先上传文件，系统校验后给出校验报告；确认后才写入。同一文件重复导入不会产生重复数据。"
    ),
    command="fupin import households",
    run=import_households,
    write_errors=write_errors,
    write_template=write_template,
    template_filename="贫困户导入模板.xlsx",
    tiles=(
        Tile("households_created", _("将新增户"), _("新增户")),
        Tile("households_updated", _("将更新户"), _("更新户")),
        Tile("persons_created", _("将新增人"), _("新增人")),
        Tile("persons_updated", _("将更新人"), _("更新人")),
    ),
    list_url="household-list",
    list_label=_("贫困户"),
)


@login_required
@permission_required("registry.export_households", raise_exception=True)
def export(request: HttpRequest) -> HttpResponse:
    """The current filter as xlsx (masked IDs unless permitted), streamed from a temp file."""
    _, queryset = filtered_households(request)
    handle = tempfile.TemporaryFile()
    export_households(queryset, handle, user=request.user)
    handle.seek(0)
    stamp = timezone.localtime().strftime("%Y%m%d_%H%M")
    return FileResponse(
        handle, as_attachment=True, filename=f"贫困户_{stamp}.xlsx", content_type=XLSX
    )
