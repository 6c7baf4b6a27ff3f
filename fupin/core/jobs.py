"""Running page-started work in the background with progress a page can poll.

A thread in the web process is enough for a district installation (a handful of imports
a day) and needs no broker; tests run jobs inline (FUPIN_JOBS_INLINE).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import close_old_connections

from fupin.core.context import acting_as
from fupin.core.models import Job

log = logging.getLogger(__name__)


def job_dir(job: Job) -> Path:
    path = Path(settings.VAR_DIR) / "jobs" / str(job.pk)
    path.mkdir(parents=True, exist_ok=True)
    return path


class Progress:
    """Callable progress sink that writes to the job row at most every `every` items."""

    def __init__(self, job: Job, every: int = 500) -> None:
        self.job = job
        self.every = every
        self._since = 0

    def total(self, total: int) -> None:
        Job.objects.filter(pk=self.job.pk).update(total=total)

    def __call__(self, count: int = 1) -> None:
        self.job.done += count
        self._since += count
        if self._since >= self.every:
            self._since = 0
            Job.objects.filter(pk=self.job.pk).update(done=self.job.done)


def start(job: Job, work: Callable[[Job, Progress], dict[str, Any]], *, ip: str | None) -> None:
    """Run `work(job, progress)` as the job's user; its return value becomes job.result."""

    def run() -> None:
        if not settings.FUPIN_JOBS_INLINE:
            close_old_connections()
        try:
            Job.objects.filter(pk=job.pk).update(status=Job.Status.RUNNING)
            with acting_as(job.user, ip=ip, source="web"):
                result = work(job, Progress(job))
            Job.objects.filter(pk=job.pk).update(
                status=Job.Status.DONE, result=result, done=job.done
            )
        except Exception as exc:  # noqa: BLE001 - any failure must reach the user's page
            log.exception("job %s failed", job.pk)
            Job.objects.filter(pk=job.pk).update(status=Job.Status.FAILED, error=str(exc))
        finally:
            if not settings.FUPIN_JOBS_INLINE:
                close_old_connections()

    if settings.FUPIN_JOBS_INLINE:
        run()
    else:
        threading.Thread(target=run, name=f"fupin-job-{job.pk}", daemon=True).start()
