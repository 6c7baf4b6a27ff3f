"""The laborer import pages (upload → validation report → confirm, run as a background
job with progress) and the template download, as for households
(fupin.registry.transfer_views), with fupin.employment.laborer_imports as the engine."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from fupin.core import jobs
from fupin.core.middleware import client_ip
from fupin.core.models import Job
from fupin.employment.laborer_imports import (
    PERMISSION,
    import_laborers,
    write_errors,
    write_template,
)

IMPORT_KIND = "import_laborers"
ALLOWED_SUFFIXES = {".xlsx", ".csv"}
MAX_UPLOAD_BYTES = 50 * 1024 * 1024
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _run_import(job: Job, progress: jobs.Progress) -> dict[str, Any]:
    result = import_laborers(
        Path(job.params["file"]),
        user=job.user,
        dry_run=job.params["dry_run"],
        progress=progress,
        filename=job.params["name"],
    )
    summary = result.as_dict()
    if result.rejected:
        errors_path = jobs.job_dir(job) / "errors.xlsx"
        write_errors(result, errors_path)
        summary["errors_file"] = str(errors_path)
    return summary


def _start_import(request: HttpRequest, file_path: Path, name: str, dry_run: bool) -> Job:
    job = Job.objects.create(
        kind=IMPORT_KIND,
        user=request.user,
        params={"file": str(file_path), "name": name, "dry_run": dry_run},
    )
    jobs.start(job, _run_import, ip=client_ip(request))
    return job


@login_required
@permission_required(PERMISSION, raise_exception=True)
def import_start(request: HttpRequest) -> HttpResponse:
    error = ""
    if request.method == "POST":
        upload = request.FILES.get("file")
        suffix = Path(upload.name).suffix.lower() if upload else ""
        if upload is None:
            error = "请选择要导入的文件"
        elif suffix not in ALLOWED_SUFFIXES:
            error = "只支持 .xlsx 或 .csv 文件（旧版 .xls 请在 Excel 中另存为 .xlsx）"
        elif upload.size > MAX_UPLOAD_BYTES:
            error = "文件超过 50 MB，请分批导入或使用命令行 fupin import laborers"
        else:
            holder = Job.objects.create(kind="upload", user=request.user, status=Job.Status.DONE)
            target = jobs.job_dir(holder) / f"upload{suffix}"
            with target.open("wb") as out:
                for chunk in upload.chunks():
                    out.write(chunk)
            job = _start_import(request, target, upload.name, dry_run=True)
            return redirect("laborer-import-job", pk=job.pk)
    recent = Job.objects.filter(user=request.user, kind=IMPORT_KIND)[:10]
    return render(request, "employment/laborer_import.html", {"error": error, "recent": recent})


def _own_job(request: HttpRequest, pk: int) -> Job:
    return get_object_or_404(Job, pk=pk, user=request.user, kind=IMPORT_KIND)


@login_required
@permission_required(PERMISSION, raise_exception=True)
def import_job(request: HttpRequest, pk: int) -> HttpResponse:
    job = _own_job(request, pk)
    template = (
        "employment/_laborer_import_job.html"
        if request.htmx
        else "employment/laborer_import_job.html"
    )
    errors = job.result.get("errors", [])[:200] if job.finished else []
    return render(request, template, {"job": job, "errors": errors})


@login_required
@permission_required(PERMISSION, raise_exception=True)
@require_POST
def import_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    job = _own_job(request, pk)
    if not (job.status == Job.Status.DONE and job.params.get("dry_run")):
        messages.error(request, "只有校验完成的导入才能确认")
        return redirect("laborer-import-job", pk=pk)
    if job.result.get("confirmed_by"):
        return redirect("laborer-import-job", pk=job.result["confirmed_by"])
    real = _start_import(request, Path(job.params["file"]), job.params["name"], dry_run=False)
    Job.objects.filter(pk=job.pk).update(result={**job.result, "confirmed_by": real.pk})
    return redirect("laborer-import-job", pk=real.pk)


@login_required
@permission_required(PERMISSION, raise_exception=True)
def import_errors(request: HttpRequest, pk: int) -> HttpResponse:
    job = _own_job(request, pk)
    path = job.result.get("errors_file")
    if not path or not Path(path).exists():
        raise Http404("没有错误文件")
    return FileResponse(
        open(path, "rb"), as_attachment=True, filename=f"导入错误_{job.pk}.xlsx", content_type=XLSX
    )


@login_required
@permission_required(PERMISSION, raise_exception=True)
def import_template(request: HttpRequest) -> HttpResponse:
    handle = tempfile.TemporaryFile()
    write_template(handle)
    handle.seek(0)
    return FileResponse(
        handle, as_attachment=True, filename="贫困劳动力就业情况导入模板.xlsx", content_type=XLSX
    )
