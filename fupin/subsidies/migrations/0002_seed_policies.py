"""The subsidies of domain.md §3 as a starting catalogue. Amounts, caps, budgets and rules
are configuration: county admins change them on the policy pages."""

import datetime
from decimal import Decimal

from django.db import migrations

START = datetime.date(2016, 1, 1)
POLICIES = [
    # code, name, beneficiary, standard, amount, cap, period cap, rules, attachments
    ("one_off_employment", "一次性就业补贴", "person", "fixed", "1000", None, "once_ever",
     ["poor_laborer", "employed_in_period"], "劳动合同或用工证明；银行卡复印件"),
    ("transport", "外出务工交通补贴", "person", "actual_capped", "500", "500", "once_per_year",
     ["poor_laborer", "employed_outside_county_this_year"], "车票或行程凭证；务工证明"),
    ("adaptive_training", "就业适应性培训补贴", "person", "fixed", "300", None, "once_per_year",
     ["registered_poor", "completed_adaptive_training"], "培训结业证明；签到表"),
    ("welfare_post", "公益性岗位岗位补贴", "person", "fixed", "792", None, "once_per_month",
     ["registered_poor", "public_welfare_on_post_this_month"], "考勤表"),
    ("welfare_post_insurance", "公益性岗位社保补贴", "person", "fixed", "400", None,
     "once_per_month", ["registered_poor", "public_welfare_on_post_this_month"], "社保缴费凭证"),
    ("workshop_construction", "扶贫车间建设补助", "workshop", "fixed", "150000", None,
     "once_ever", ["workshop_recognised"], "认定文件；建设投入凭证"),
    ("workshop_stabilisation", "稳岗补助", "workshop", "per_head", "500", None, "once_per_month",
     ["workshop_recognised", "workshop_employs_poor"], "用工花名册；工资发放表"),
    ("work_based_training", "以工代训补贴", "employer", "per_head", "500", None, "once_per_month",
     ["employer_employs_poor"], "以工代训花名册；工资发放表"),
    ("workshop_demonstration", "带动就业示范奖补", "workshop", "fixed", "50000", None,
     "once_per_year", ["workshop_recognised", "workshop_employs_poor"], "示范认定文件"),
    ("startup_loan_interest", "创业担保贷款贴息", "person", "actual_capped", "15000", "15000",
     "once_per_year", ["registered_poor", "startup_with_loan"], "贷款合同；付息凭证"),
    ("labor_cooperation", "劳务协作补贴", "person", "fixed", "1000", None, "once_per_year",
     ["poor_laborer", "labor_cooperation"], "劳务协作就业证明"),
]


def seed(apps, schema_editor):
    Policy = apps.get_model("subsidies", "Policy")
    for code, name, kind, standard, amount, cap, period, rules, attachments in POLICIES:
        Policy.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "beneficiary_kind": kind,
                "standard_kind": standard,
                "amount": Decimal(amount),
                "cap": Decimal(cap) if cap else None,
                "period_cap": period,
                "rules": rules,
                "valid_from": START,
                "attachments": attachments,
            },
        )


def unseed(apps, schema_editor):
    Policy = apps.get_model("subsidies", "Policy")
    Policy.objects.filter(
        code__in=[p[0] for p in POLICIES], applications__isnull=True
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("subsidies", "0001_policies_applications_payments")]

    operations = [migrations.RunPython(seed, unseed)]
