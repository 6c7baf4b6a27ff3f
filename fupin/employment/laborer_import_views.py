"""The laborer import pages (upload → validation report → confirm, in the background) and
the template download, declared on the shared import pages (fupin.core.import_pages)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from fupin.core.import_pages import ImportPages, Tile
from fupin.employment.laborer_imports import (
    PERMISSION,
    import_laborers,
    write_errors,
    write_template,
)

pages = ImportPages(
    name="laborer-import",
    kind="import_laborers",
    permission=PERMISSION,
    title=_("导入就业情况"),
    intro=_(
        "每行一人，按证件号码识别（须为已登记、在您管辖范围内的贫困劳动力）。先上传文件，"
        "系统校验后给出校验报告；确认后才写入。与当前情况相同的行不作改动，不同的行记为自状态"
        "日期起的新情况，原情况保留在历史中；同一文件重复导入不会产生重复数据。"
    ),
    command="fupin import laborers",
    run=import_laborers,
    write_errors=write_errors,
    write_template=write_template,
    template_filename="贫困劳动力就业情况导入模板.xlsx",
    tiles=(
        Tile("created", _("将首次填报"), _("首次填报")),
        Tile("updated", _("将更新"), _("已更新")),
    ),
    list_url="laborer-list",
    list_label=_("贫困劳动力"),
)
