"""The import pages every record type shares: upload → validation report (a dry run in the
background, with progress) → confirm (the real run) → rejected rows as xlsx; plus the
template download. One `ImportPages` per importer (households, laborers, …)."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from fupin.core import jobs
from fupin.core.middleware import client_ip
from fupin.core.models import Job

ALLOWED_SUFFIXES = {".xlsx", ".csv"}
MAX_UPLOAD_BYTES = 50 * 1024 * 1024
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Tile:
    """One figure of the report: the result key and its label before/after confirming."""

    key: str
    planned: Any
    done: Any


@dataclass
class ImportPages:
    """Declaration of one importer's pages. `run(path, user=, dry_run=, progress=,
    filename=)` returns a result with `.as_dict()` and `.rejected`; `write_errors(result,
    path)` and `write_template(handle)` write the xlsx files."""

    name: str  # URL names: {name}, {name}-job, -confirm, -errors, -template
    kind: str  # Job.kind
    permission: str
    title: Any
    intro: Any
    command: str  # named in the too-large message, e.g. "fupin import households"
    run: Callable[..., Any]
    write_errors: Callable[[Any, Path], None]
    write_template: Callable[[Any], None]
    template_filename: str
    tiles: tuple[Tile, ...]
    list_url: str  # the record list, linked when the import is done
    list_label: Any

    # --- background work -------------------------------------------------------------

    def _run(self, job: Job, progress: jobs.Progress) -> dict[str, Any]:
        result = self.run(
            Path(job.params["file"]),
            user=job.user,
            dry_run=job.params["dry_run"],
            progress=progress,
            filename=job.params["name"],
        )
        summary = result.as_dict()
        if result.rejected:
            errors_path = jobs.job_dir(job) / "errors.xlsx"
            self.write_errors(result, errors_path)
            summary["errors_file"] = str(errors_path)
        return summary

    def _start(self, request: HttpRequest, file_path: Path, name: str, dry_run: bool) -> Job:
        job = Job.objects.create(
            kind=self.kind,
            user=request.user,
            params={"file": str(file_path), "name": name, "dry_run": dry_run},
        )
        jobs.start(job, self._run, ip=client_ip(request))
        return job

    def _own_job(self, request: HttpRequest, pk: int) -> Job:
        return get_object_or_404(Job, pk=pk, user=request.user, kind=self.kind)

    def _context(self, **extra: Any) -> dict[str, Any]:
        return {"pages": self, **extra}

    # --- views -----------------------------------------------------------------------

    def start(self, request: HttpRequest) -> HttpResponse:
        error = ""
        if request.method == "POST":
            upload = request.FILES.get("file")
            suffix = Path(upload.name).suffix.lower() if upload else ""
            if upload is None:
                error = _("请选择要导入的文件")
            elif suffix not in ALLOWED_SUFFIXES:
                error = _("只支持 .xlsx 或 .csv 文件（旧版 .xls 请在 Excel 中另存为 .xlsx）")
            elif upload.size > MAX_UPLOAD_BYTES:
                error = _("文件超过 50 MB，请分批导入或使用命令行 %(command)s") % {
                    "command": self.command
                }
            else:
                holder = Job.objects.create(
                    kind="upload", user=request.user, status=Job.Status.DONE
                )
                target = jobs.job_dir(holder) / f"upload{suffix}"
                with target.open("wb") as out:
                    for chunk in upload.chunks():
                        out.write(chunk)
                job = self._start(request, target, upload.name, dry_run=True)
                return redirect(f"{self.name}-job", pk=job.pk)
        recent = Job.objects.filter(user=request.user, kind=self.kind)[:10]
        return render(request, "core/import.html", self._context(error=error, recent=recent))

    def job(self, request: HttpRequest, pk: int) -> HttpResponse:
        job = self._own_job(request, pk)
        template = "core/_import_job.html" if request.htmx else "core/import_job.html"
        result = job.result if job.finished else {}
        context = self._context(
            job=job,
            errors=result.get("errors", [])[:200],
            figures=[(t, result.get(t.key, 0)) for t in self.tiles],
            writes=any(result.get(t.key) for t in self.tiles),
        )
        return render(request, template, context)

    def confirm(self, request: HttpRequest, pk: int) -> HttpResponse:
        job = self._own_job(request, pk)
        if not (job.status == Job.Status.DONE and job.params.get("dry_run")):
            messages.error(request, _("只有校验完成的导入才能确认"))
            return redirect(f"{self.name}-job", pk=pk)
        if job.result.get("confirmed_by"):
            return redirect(f"{self.name}-job", pk=job.result["confirmed_by"])
        real = self._start(request, Path(job.params["file"]), job.params["name"], dry_run=False)
        Job.objects.filter(pk=job.pk).update(result={**job.result, "confirmed_by": real.pk})
        return redirect(f"{self.name}-job", pk=real.pk)

    def errors(self, request: HttpRequest, pk: int) -> HttpResponse:
        job = self._own_job(request, pk)
        errors_file = job.result.get("errors_file")
        if not errors_file or not Path(errors_file).exists():
            raise Http404("没有错误文件")
        return FileResponse(
            open(errors_file, "rb"),
            as_attachment=True,
            filename=f"导入错误_{job.pk}.xlsx",
            content_type=XLSX,
        )

    def template(self, request: HttpRequest) -> HttpResponse:
        handle = tempfile.TemporaryFile()
        self.write_template(handle)
        handle.seek(0)
        return FileResponse(
            handle, as_attachment=True, filename=self.template_filename, content_type=XLSX
        )

    def urls(self, route: str) -> list[Any]:
        """URL patterns under `route` (e.g. "households/import/"), each login- and
        permission-checked."""

        def guard(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
            return login_required(permission_required(self.permission, raise_exception=True)(view))

        return [
            path(route, guard(self.start), name=self.name),
            path(f"{route}template.xlsx", guard(self.template), name=f"{self.name}-template"),
            path(f"{route}<int:pk>/", guard(self.job), name=f"{self.name}-job"),
            path(
                f"{route}<int:pk>/confirm/",
                guard(require_POST(self.confirm)),
                name=f"{self.name}-confirm",
            ),
            path(f"{route}<int:pk>/errors.xlsx", guard(self.errors), name=f"{self.name}-errors"),
        ]
