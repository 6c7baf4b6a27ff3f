"""The ledgers page: pick a region (inside the jurisdiction) and a date, click a ledger;
the workbook is produced in a background job with progress and kept for download by its
owner for FUPIN_LEDGER_KEEP_HOURS (default 24 h), then deleted."""

from __future__ import annotations

import datetime
import os
import shutil
from pathlib import Path
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from fupin.core import jobs
from fupin.core.dates import too_early
from fupin.core.middleware import client_ip
from fupin.core.models import Job
from fupin.ledgers.definitions import LEDGER_LIST, LEDGERS, may_use, resolve_region
from fupin.ledgers.services import export_ledger
from fupin.regions.models import Region
from fupin.regions.widgets import RegionPicker

KIND = "ledger"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def keep_hours() -> float:
    """How long finished ledger files stay downloadable."""
    return float(
        getattr(settings, "FUPIN_LEDGER_KEEP_HOURS", os.environ.get("FUPIN_LEDGER_KEEP_HOURS", 24))
    )


def cleanup_expired(now: datetime.datetime | None = None) -> int:
    """Delete the files of ledger jobs older than keep_hours(); returns how many."""
    cutoff = (now or timezone.now()) - datetime.timedelta(hours=keep_hours())
    removed = 0
    old = Job.objects.filter(kind=KIND, created_at__lt=cutoff, result__has_key="file")
    for job in old.only("pk", "result"):
        shutil.rmtree(Path(job.result["file"]).parent, ignore_errors=True)
        kept = {k: v for k, v in job.result.items() if k != "file"}
        Job.objects.filter(pk=job.pk).update(result={**kept, "expired": True})
        removed += 1
    return removed


def _require(request: HttpRequest) -> None:
    if not may_use(request.user):
        raise PermissionDenied("您的角色没有查看台账的权限")


class LedgerForm(forms.Form):
    region = forms.CharField(label="区划", required=False)
    as_of = forms.DateField(
        label="截止日期", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["region"].widget = RegionPicker(user=user, allow_township=True)
        self.fields["as_of"].initial = datetime.date.today()

    def clean_as_of(self) -> datetime.date:
        day = self.cleaned_data["as_of"]
        if too_early(day):
            raise forms.ValidationError(too_early(day))
        return day


def _run(job: Job, progress: jobs.Progress) -> dict[str, Any]:
    ledger = LEDGERS[job.params["ledger"]]
    as_of = datetime.date.fromisoformat(job.params["as_of"])
    path = jobs.job_dir(job) / f"{ledger.id}.xlsx"
    result = export_ledger(
        ledger, path, region_code=job.params["region"], as_of=as_of, user=job.user,
        progress=progress,
    )  # fmt: skip
    return {"rows": result.rows, "file": str(path), "totals": result.totals}


@login_required
def index(request: HttpRequest) -> HttpResponse:
    _require(request)
    cleanup_expired()
    form = LedgerForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        ledger = LEDGERS.get(request.POST.get("ledger", ""))
        if ledger is None:
            raise Http404("未知的台账")
        try:
            region = resolve_region(request.user, form.cleaned_data["region"])
        except Region.DoesNotExist as exc:
            raise Http404(str(exc)) from exc
        as_of = form.cleaned_data["as_of"]
        job = Job.objects.create(
            kind=KIND,
            user=request.user,
            params={
                "ledger": ledger.id,
                "region": region.code,
                "as_of": as_of.isoformat(),
                "title": f"{region.full_name}{ledger.title}",
                "filename": f"{region.full_name}{ledger.title}_{as_of:%Y%m%d}.xlsx",
            },
        )
        jobs.start(job, _run, ip=client_ip(request))
        return redirect("ledger-job", pk=job.pk)
    recent = Job.objects.filter(user=request.user, kind=KIND)[:15]
    return render(
        request,
        "ledgers/index.html",
        {"form": form, "ledgers": LEDGER_LIST, "recent": recent, "keep_hours": keep_hours()},
    )


def _own_job(request: HttpRequest, pk: int) -> Job:
    return get_object_or_404(Job, pk=pk, user=request.user, kind=KIND)


@login_required
def job_status(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request)
    job = _own_job(request, pk)
    template = "ledgers/_job.html" if request.htmx else "ledgers/job.html"
    return render(request, template, {"job": job, "keep_hours": keep_hours()})


@login_required
def download(request: HttpRequest, pk: int) -> HttpResponse:
    """The job's workbook, for its owner only, while it is kept."""
    _require(request)
    job = _own_job(request, pk)
    cleanup_expired()
    job.refresh_from_db()
    path = (job.result or {}).get("file")
    if job.status != Job.Status.DONE or job.result.get("expired") or not path:
        raise Http404("文件不存在或已过期")
    if not Path(path).is_file():
        raise Http404("文件不存在或已过期")
    return FileResponse(
        open(path, "rb"),  # noqa: SIM115 - FileResponse closes it
        as_attachment=True,
        filename=job.params.get("filename", "台账.xlsx"),
        content_type=XLSX,
    )
