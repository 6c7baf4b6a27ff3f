"""Roles are Django groups with a fixed set of permissions, so later features extend them
by adding permissions here (one place), and `user.has_perm` does the checking."""

from __future__ import annotations

from django.db import models


class Role(models.TextChoices):
    COUNTY_ADMIN = "county_admin", "区县管理员"
    TOWNSHIP_OPERATOR = "township_operator", "乡镇（街道）经办员"
    VILLAGE_CLERK = "village_clerk", "村（社区）信息员"
    SUPERVISOR = "supervisor", "督导员"
    LEADER = "leader", "领导"


REGISTRY_READ = ["registry.view_household", "registry.view_person"]
REGISTRY_WRITE = [
    "registry.add_household",
    "registry.change_household",
    "registry.add_person",
    "registry.change_person",
    "registry.import_households",
    "registry.export_households",
]

EMPLOYMENT_MODELS = [
    "employmentrecord",
    "needs",
    "service",
    "verification",
    "employer",
    "jobposting",
    "recruitmentevent",
    "workshop",
    "publicwelfarepost",
    "placement",
    "startup",
    "loan",
    "trainingclass",
    "enrollment",
    "exportbatch",
    "exportparticipant",
]
EMPLOYMENT_READ = [f"employment.view_{m}" for m in EMPLOYMENT_MODELS]
EMPLOYMENT_WRITE = [f"employment.{a}_{m}" for m in EMPLOYMENT_MODELS for a in ("add", "change")]

# Supervision (督导核查): the group draws and calls, townships work their rectifications,
# county admins do everything, leaders read the notice.
SUPERVISION_CALL = [
    "supervision.view_samplingplan",
    "supervision.add_samplingplan",
    "supervision.view_calltask",
    "supervision.change_calltask",
    "supervision.view_rectificationtask",
    "supervision.review_rectificationtask",
    "supervision.view_notice",
    "supervision.run_quality",
]
SUPERVISION_RECTIFY = [
    "supervision.view_rectificationtask",
    "supervision.change_rectificationtask",
]

SUBSIDY_READ = [
    "subsidies.view_policy",
    "subsidies.view_application",
    "subsidies.view_paymentbatch",
    "subsidies.view_payment",
]
SUBSIDY_MAKE = [
    "subsidies.add_application",
    "subsidies.change_application",
    "subsidies.submit_application",
    "subsidies.review_application",
]
SUBSIDY_COUNTY = [
    "subsidies.add_policy",
    "subsidies.change_policy",
    "subsidies.approve_application",
    "subsidies.manage_batches",
]

# Job matching (人岗匹配): staff view recommendations, push postings and record outcomes;
# supervisors and leaders read.
MATCHING_READ = ["matching.view_recommendation", "matching.view_push"]
MATCHING_WORK = [*MATCHING_READ, "matching.add_push", "matching.change_push"]

ROLE_PERMISSIONS: dict[str, list[str]] = {
    Role.COUNTY_ADMIN: [
        *REGISTRY_READ,
        *REGISTRY_WRITE,
        *EMPLOYMENT_READ,
        *EMPLOYMENT_WRITE,
        "registry.view_full_id",
        "accounts.manage_users",
        "core.view_auditlog",
        "core.view_figures",
        *SUPERVISION_CALL,
        "supervision.change_rectificationtask",
        *SUBSIDY_READ,
        *SUBSIDY_MAKE,
        *SUBSIDY_COUNTY,
        *MATCHING_WORK,
        "matching.run_matching",
    ],
    Role.TOWNSHIP_OPERATOR: [
        *REGISTRY_READ,
        *REGISTRY_WRITE,
        *EMPLOYMENT_READ,
        *EMPLOYMENT_WRITE,
        "core.view_figures",
        *SUPERVISION_RECTIFY,
        *SUBSIDY_READ,
        *SUBSIDY_MAKE,
        *MATCHING_WORK,
        "matching.run_matching",
    ],
    Role.VILLAGE_CLERK: [
        *REGISTRY_READ,
        *REGISTRY_WRITE,
        *EMPLOYMENT_READ,
        *EMPLOYMENT_WRITE,
        "core.view_figures",
        *SUPERVISION_RECTIFY,
        *SUBSIDY_READ,
        *MATCHING_WORK,
    ],
    Role.SUPERVISOR: [
        *REGISTRY_READ,
        *EMPLOYMENT_READ,
        "registry.export_households",
        "core.view_figures",
        *SUPERVISION_CALL,
        *SUBSIDY_READ,
        *MATCHING_READ,
    ],
    Role.LEADER: ["core.view_figures", "supervision.view_notice", *SUBSIDY_READ, *MATCHING_READ],
}

# The region level each role is assigned at (a township operator holds a township, …).
ROLE_LEVELS: dict[str, set[int]] = {
    Role.COUNTY_ADMIN: {1, 2, 3},
    Role.TOWNSHIP_OPERATOR: {4},
    Role.VILLAGE_CLERK: {5},
    Role.SUPERVISOR: {3, 4},
    Role.LEADER: {1, 2, 3, 4},
}


def sync_role_groups() -> None:
    """Create/refresh one group per role with exactly its permissions (after migrate)."""
    from django.contrib.auth.models import Group, Permission

    perms = {
        f"{p.content_type.app_label}.{p.codename}": p
        for p in Permission.objects.select_related("content_type")
    }
    for role, names in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        group.permissions.set([perms[n] for n in names if n in perms])
