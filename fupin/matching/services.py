"""Writes of matching: a run (recommendations replaced per laborer), pushes of postings to a
laborer (with the 岗位推送 service) and their outcome. Each checks permission and
jurisdiction, writes in one transaction and audits."""

from __future__ import annotations

import datetime
import time
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

import numpy as np
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from fupin.core import audit, bulk
from fupin.core.models import AuditLog, jurisdiction_code
from fupin.core.services import check_jurisdiction, check_permission
from fupin.employment import choices as ec
from fupin.employment.models import JobPosting
from fupin.employment.selectors import laborers as laborers_on
from fupin.employment.selectors import tier_between
from fupin.employment.services import add_service, record_employment
from fupin.matching import choices as c
from fupin.matching.data import (
    RegionViewer,
    laborer_arrays,
    open_postings,
    posting_arrays,
    region_names,
    unemployed_laborers,
)
from fupin.matching.engine import Matcher
from fupin.matching.explain import explain_all
from fupin.matching.models import Push, Recommendation
from fupin.regions.models import Region
from fupin.registry.models import Person
from fupin.registry.services import household_context

PUSH_FIELDS = ["status", "status_on", "decline_reason", "employment_record_id"]


def check_region(acting_user: Any, region_code: str) -> Region:
    region = Region.objects.filter(code=(region_code or "").strip()).first()
    if region is None:
        raise ValidationError({"region": f"区划代码 {region_code} 不存在"})
    if acting_user is not None:
        prefix = jurisdiction_code(acting_user)
        if prefix is None or not region.code.startswith(prefix):
            raise ValidationError({"region": f"区划 {region.code} 不在您的管辖范围内"})
    return region


def run_matching(
    *,
    acting_user: Any,
    region_code: str,
    top: int = 10,
    as_of: datetime.date | None = None,
    progress: Callable[[int], Any] | None = None,
    total: Callable[[int], Any] | None = None,
) -> dict[str, Any]:
    """Match every unemployed laborer of the region against the open postings they may be
    offered and replace their stored recommendations. `acting_user=None` is the system
    (nightly run): postings are then those a user of the region would see."""
    started = time.perf_counter()
    if acting_user is not None:
        check_permission(acting_user, "matching.run_matching")
    region = check_region(acting_user, region_code)
    if not 1 <= top <= 50:
        raise ValidationError({"top": "推荐数量应在 1 到 50 之间"})
    viewer = acting_user if acting_user is not None else RegionViewer(region.code)
    people = unemployed_laborers(region.code, as_of, acting_user)
    laborers = laborer_arrays(people, as_of)
    postings = posting_arrays(open_postings(viewer, as_of))
    if total:
        total(len(laborers))
    matcher = Matcher(laborers, postings)
    matcher.region_names = region_names({r for r in laborers.wished_region if r})
    result = matcher.run(top, progress=progress)
    run_at = timezone.now()
    reasons = explain_all(matcher, result)
    rows = [
        (int(person), int(job), Decimal(str(round(score, 1))), rank, why)
        for person, job, rank, score, why in zip(
            laborers.ids[result.laborer].tolist(),
            postings.ids[result.posting].tolist(),
            result.rank.tolist(),
            result.score.tolist(),
            reasons,
            strict=True,
        )
    ]
    with transaction.atomic():
        # Everyone of the region is replaced, also those no longer unemployed (their old
        # recommendations would mislead).
        stale = Recommendation.objects.in_region(region.code)
        if acting_user is not None:
            stale = stale.for_user(acting_user)
        stale.delete()
        # Rows without model instances (fupin.core.bulk): preparing a million model
        # instances would cost more than the matching itself.
        bulk.execute(
            [
                bulk.insert(
                    Recommendation,
                    ["person_id", "posting_id", "score", "rank", "explanation"],
                    rows,
                    run_at,
                    shared={"run_at": run_at},
                )
            ]
        )
        seconds = round(time.perf_counter() - started, 2)
        summary = {
            "laborers": len(laborers),
            "postings": len(postings),
            "recommendations": len(rows),
            "seconds": seconds,
        }
        audit.record(
            AuditLog.Action.CREATE,
            object_type="matching.run",
            object_repr=f"人岗匹配 {region.name}",
            region_code=region.code,
            changes=summary,
            message=(
                f"人岗匹配：{len(laborers)} 名未就业劳动力，{len(postings)} 个岗位，"
                f"{len(rows)} 条推荐"
            ),
        )
    return summary


def _person_in_scope(acting_user: Any, person: Person, perm: str) -> Person:
    check_permission(acting_user, perm)
    person = Person.objects.select_related("household").get(pk=person.pk)
    check_jurisdiction(acting_user, person.household.village_id)
    return person


def check_hard_limits(person: Person, jobs: Sequence[JobPosting], day: datetime.date) -> None:
    """Refuse postings the matching would never offer this person on `day` (the engine's
    own rule: physical demand, age range, education minimum, lawful sex requirement, own
    county for near-home laborers), and anyone who is not a laborer on that day."""
    if not laborers_on(day).filter(pk=person.pk).exists():
        raise ValidationError({"postings": "该人员不是劳动年龄内有劳动能力的劳动力，不能推送岗位"})
    laborer = laborer_arrays(Person.objects.filter(pk=person.pk), day)
    postings = posting_arrays(JobPosting.objects.filter(pk__in=[j.pk for j in jobs]).order_by("id"))
    allowed = Matcher(laborer, postings).allowed(
        np.zeros((1, 1), dtype=np.intp), np.arange(len(postings))[None, :]
    )[0]
    refused = [title for title, ok in zip(postings.title, allowed.tolist(), strict=True) if not ok]
    if refused:
        raise ValidationError(
            {
                "postings": "以下岗位不符合该人员的条件（体力、年龄、学历、性别或就近就业要求）："
                + "、".join(refused)
            }
        )


def push_text(person: Person, postings: Sequence[JobPosting], staff_name: str = "") -> str:
    """The message to read out or paste into WeChat/SMS: each posting with pay, place,
    contact and how to apply."""
    lines = [f"{person.name}您好！为您推荐以下岗位："]
    for n, job in enumerate(postings, 1):
        pay = _pay(job)
        employer = job.employer
        contact = " ".join(x for x in (employer.contact_name, employer.contact_phone) if x)
        place = job.region.name if job.region_id else ""
        lines.append(
            f"{n}. {employer.name}招聘{job.title}{job.openings - job.filled}人，{pay}，"
            f"工作地点{place}{f'，联系人{contact}' if contact else ''}。"
        )
    lines.append("有意向请直接联系用人单位，或联系我们帮您报名。")
    if staff_name:
        lines.append(f"—— {staff_name}")
    return "\n".join(lines)


def _pay(job: JobPosting) -> str:
    if job.wage_min is not None and job.wage_max is not None:
        return f"月薪{job.wage_min:.0f}–{job.wage_max:.0f}元"
    if job.wage_min is not None or job.wage_max is not None:
        return f"月薪{(job.wage_min or job.wage_max):.0f}元"
    return "月薪面议"


def already_pushed(person: Person, posting_ids: Sequence[int]) -> set[str]:
    """Titles of the postings among `posting_ids` already pushed to the person."""
    pushed = Push.objects.filter(person=person, posting_id__in=posting_ids)
    return set(pushed.values_list("posting__title", flat=True))


@transaction.atomic
def push_postings(
    *,
    acting_user: Any,
    person: Person,
    postings: Sequence[JobPosting],
    channel: str,
    on: datetime.date | None = None,
) -> list[Push]:
    """Push chosen postings to a laborer: one 岗位推送 service, one tracked push per
    posting (a posting is pushed to the same person once)."""
    person = _person_in_scope(acting_user, person, "matching.add_push")
    if channel not in c.PushChannel.values:
        raise ValidationError({"channel": "请选择推送方式"})
    if not postings:
        raise ValidationError({"postings": "请至少选择一个岗位"})
    day = on or datetime.date.today()
    viewer = acting_user if acting_user is not None else RegionViewer(person.household.village_id)
    visible = open_postings(viewer, day)
    ids = [p.pk for p in postings]
    found = {p.pk: p for p in visible.filter(pk__in=ids).select_related("employer", "region")}
    missing = [str(i) for i in ids if i not in found]
    if missing:
        raise ValidationError({"postings": "所选岗位已招满、已结束或不可见"})
    jobs = [found[i] for i in ids]
    check_hard_limits(person, jobs, day)
    already = already_pushed(person, ids)
    if already:
        raise ValidationError({"postings": f"已向该人员推送过：{'、'.join(sorted(already))}"})
    staff = acting_user if getattr(acting_user, "pk", None) else None
    staff_name = staff.display_name if staff else ""
    message = push_text(person, jobs, staff_name)
    service = add_service(
        acting_user=acting_user,
        person=person,
        service_type=ec.ServiceType.JOB_PUSH,
        date=day,
        note=f"{c.PushChannel(channel).label}推送：{'、'.join(j.title for j in jobs)}"[:500],
    )
    scores = dict(
        Recommendation.objects.filter(person=person, posting_id__in=ids).values_list(
            "posting_id", "score"
        )
    )
    pushes = []
    for job in jobs:
        try:
            with transaction.atomic():  # a double click racing this one: one push, a message
                push = Push.objects.create(
                    person=person,
                    posting=job,
                    channel=channel,
                    message=message,
                    score=scores.get(job.pk),
                    pushed_on=day,
                    pushed_by=staff,
                    service=service,
                    status_on=day,
                )
        except IntegrityError as exc:
            raise ValidationError({"postings": f"已向该人员推送过：{job.title}"}) from exc
        audit.record(
            AuditLog.Action.CREATE,
            push,
            changes=audit.snapshot(push, ["posting_id", "channel", "pushed_on", "status"]),
            region_code=person.household.village_id,
            context_key=household_context(person.household_id),
        )
        pushes.append(push)
    return pushes


def _hire(acting_user: Any, push: Push, day: datetime.date) -> None:
    """Take an opening (row lock: two hires cannot take the last one) and record the job."""
    job = JobPosting.objects.select_for_update().select_related("employer").get(pk=push.posting_id)
    if job.status != ec.JobStatus.OPEN or job.filled >= job.openings:
        raise ValidationError({"status": "该岗位已招满或已结束，不能再录用"})
    # Still in a job taken through another push: a second hire would replace (same day)
    # or end that employment while its posting keeps the opening.
    holding = (
        Push.objects.filter(
            person=push.person,
            status=c.PushStatus.HIRED,
            employment_record__valid_to__isnull=True,
        )
        .exclude(pk=push.pk)
        .select_related("posting")
        .first()
    )
    if holding is not None:
        raise ValidationError(
            {
                "status": f"该人员已通过推送被“{holding.posting.title}”录用且仍在岗，"
                "请先登记其就业状态的变化"
            }
        )
    home = push.person.household.village_id
    form = {
        ec.JobSource.WORKSHOP: ec.Form.WORKSHOP,
        ec.JobSource.PUBLIC_WELFARE: ec.Form.PUBLIC_WELFARE,
    }.get(job.source, ec.Form.COMPANY)
    channel = (
        ec.Channel.COOPERATION if job.source == ec.JobSource.PARTNER else ec.Channel.GOVERNMENT
    )
    record = record_employment(
        acting_user=acting_user,
        person=push.person,
        data={
            "status": ec.Status.EMPLOYED,
            "form": form,
            "location_tier": tier_between(home, job.region_id),
            "destination_id": job.region_id,
            "employer_id": job.employer_id,
            "employer_name": job.employer.name,
            "trade": job.trade,
            "start_date": day,
            "monthly_income": job.wage_min,
            "channel": channel,
        },
        valid_from=day,
    )
    before = audit.snapshot(job, ["filled", "status"])
    job.filled += 1
    if job.filled >= job.openings:
        job.status = ec.JobStatus.FILLED
    job.save(update_fields=["filled", "status", "updated_at"])
    audit.record(
        AuditLog.Action.UPDATE,
        job,
        changes=audit.diff(before, audit.snapshot(job, ["filled", "status"])),
        message=f"岗位推送录用 {push.person.name}",
    )
    # The person is employed now; a full posting is no longer recommended to anyone.
    Recommendation.objects.filter(person=push.person).delete()
    if job.status != ec.JobStatus.OPEN:
        Recommendation.objects.filter(posting=job).delete()
    push.employment_record = record


@transaction.atomic
def record_outcome(
    *,
    acting_user: Any,
    push: Push,
    status: str,
    reason: str = "",
    on: datetime.date | None = None,
) -> Push:
    """Move a push on: pushed → interested → interviewed → hired, or declined (with a
    reason) from any open step. Hired records the employment and takes an opening."""
    check_permission(acting_user, "matching.change_push")
    push = Push.objects.select_for_update().get(pk=push.pk)
    person = _person_in_scope(acting_user, push.person, "matching.change_push")
    push.person = person
    if status not in c.NEXT_STATUS.get(push.status, ()):
        allowed = "、".join(c.PushStatus(s).label for s in c.NEXT_STATUS.get(push.status, ()))
        current = c.PushStatus(push.status).label
        message = f"“{current}”已是最终结果"
        if allowed:
            message = f"当前为“{current}”，只能改为：{allowed}"
        raise ValidationError({"status": message})
    reason = (reason or "").strip()
    if status == c.PushStatus.DECLINED and not reason:
        raise ValidationError({"decline_reason": "请填写未成功的原因"})
    day = on or datetime.date.today()
    if day > datetime.date.today():
        raise ValidationError({"status_on": "日期不能晚于今天"})
    if day < push.pushed_on:
        raise ValidationError({"status_on": "日期不能早于推送日期"})
    if push.status_on and day < push.status_on:
        raise ValidationError(
            {"status_on": f"日期不能早于上一步结果的日期（{push.status_on:%Y-%m-%d}）"}
        )
    before = audit.snapshot(push, PUSH_FIELDS)
    if status == c.PushStatus.HIRED:
        _hire(acting_user, push, day)
    push.status = status
    push.status_on = day
    push.decline_reason = reason if status == c.PushStatus.DECLINED else ""
    push.save()
    audit.record(
        AuditLog.Action.UPDATE,
        push,
        changes=audit.diff(before, audit.snapshot(push, PUSH_FIELDS)),
        region_code=person.household.village_id,
        context_key=household_context(person.household_id),
    )
    return push
