"""Demo subsidies for one township (default 凤山街道, domain.md §9: 60 one-off employment
subsidies, 390 transport subsidies, the public-welfare post holders' monthly subsidy):
drafts from the unserved list, through review and approval, one payment batch and a bank
return with a few failures — all through the services, as the system. Idempotent: a
policy that already has claims for the period in the region is left alone."""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

from django.db import transaction

from fupin.subsidies import choices as c
from fupin.subsidies import payments as pay
from fupin.subsidies import rules
from fupin.subsidies import services as s
from fupin.subsidies.models import Application, Policy

TARGETS = {"one_off_employment": 60, "transport": 390, "welfare_post": None}
FAILURE_EVERY = 50  # about 2% of bank transfers fail (closed accounts)


def demo_account(pk: int) -> str:
    return f"62170037{pk:011d}"


def demo_receipt(pk: int, cap: Decimal) -> Decimal:
    """A receipt's amount for a 据实 claim: deterministic, in tens of yuan, up to the cap
    (a coach ticket to Guangdong and back rarely reaches the ¥500 cap)."""
    low = min(Decimal(120), cap)
    steps = int((cap - low) // 10)
    return low + 10 * ((pk * 37) % (steps + 1))


def build_demo(region_code: str = "500156001") -> dict[str, Any]:
    """Create, approve and pay the demo claims; returns counts per policy."""
    summary: dict[str, Any] = {}
    approved: list[int] = []
    for code, target in TARGETS.items():
        policy = Policy.objects.filter(code=code, active=True).first()
        if policy is None:
            continue
        period = rules.period_key(policy)
        existing = Application.objects.in_region(region_code).filter(policy=policy, period=period)
        if existing.exists():
            summary[code] = {"skipped": existing.count()}
            continue
        ids = list(
            s.unserved(policy, region_code, period).order_by("pk").values_list("pk", flat=True)
        )
        ids = ids[:target] if target is not None else ids
        if not ids:
            summary[code] = {"created": 0}
            continue
        drafts = s.bulk_create_drafts(
            acting_user=None, policy=policy, period=period, region_code=region_code, ids=ids
        )
        for app in drafts:
            data: dict[str, Any] = {"bank_account": demo_account(app.pk)}
            if policy.standard_kind == c.StandardKind.ACTUAL_CAPPED:
                data["actual_cost"] = demo_receipt(app.pk, policy.cap or policy.amount)
            with transaction.atomic():
                s.update_application(acting_user=None, application=app, data=data)
                s.submit(acting_user=None, application=app)
                s.review(acting_user=None, application=app)
                s.approve(acting_user=None, application=app)
            approved.append(app.pk)
        summary[code] = {"created": len(drafts), "period": period}
    if approved:
        batch = pay.create_batch(acting_user=None, applications=approved, note="演示数据")
        lines = ["流水号,结果,失败原因"]
        for i, payment in enumerate(batch.payments.order_by("id")):
            failed = i % FAILURE_EVERY == FAILURE_EVERY - 1
            lines.append(
                f"{payment.pk},{'失败' if failed else '成功'},{'账户已销户' if failed else ''}"
            )
        source = io.BytesIO("\n".join(lines).encode())
        summary["batch"] = batch.number
        summary["payments"] = pay.import_return(
            acting_user=None, batch=batch, source=source, filename="demo_return.csv"
        )
    return summary
