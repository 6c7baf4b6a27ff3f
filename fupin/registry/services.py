"""Every write to the registry: validate, write, audit — in one transaction.

Views, the API, commands and the importer call these; none saves models itself.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from fupin.core import audit
from fupin.core.models import AuditLog
from fupin.core.services import check_jurisdiction, check_permission
from fupin.regions.models import Region
from fupin.registry import choices as c
from fupin.registry.idnumbers import (
    IdNumberError,
    birth_date_from_id,
    normalise_id_number,
    sex_from_id,
)
from fupin.registry.models import Household, HouseholdIncome, Person
from fupin.registry.pinyin import pinyin_keys

HOUSEHOLD_FIELDS = [
    "number",
    "village_id",
    "household_type",
    "status",
    "identified_year",
    "exit_year",
    "main_cause",
    "other_causes",
    "phone",
    "helper_name",
    "helper_phone",
    *c.ASSURANCE_FIELDS,
]
PERSON_FIELDS = [
    "relation",
    "name",
    "id_number",
    "ethnicity",
    "education",
    "school_status",
    "health",
    "disability_grade",
    "labor_ability",
    "phone",
]


def household_context(household_id: Any) -> str:
    """The audit key that gathers a household's and its members' history."""
    return f"household:{household_id}"


def prepare_person_fields(data: dict[str, Any]) -> dict[str, Any]:
    """Normalise the ID and derive sex, birth date and pinyin keys from it and the name."""
    values = {k: v for k, v in data.items() if k in PERSON_FIELDS}
    if "id_number" in values:
        try:
            values["id_number"] = normalise_id_number(values["id_number"])
        except IdNumberError as exc:
            raise ValidationError({"id_number": str(exc)}) from exc
        values["sex"] = sex_from_id(values["id_number"])
        values["birth_date"] = birth_date_from_id(values["id_number"])
    if "name" in values:
        values["name"] = str(values["name"]).strip()
        if not values["name"]:
            raise ValidationError({"name": "姓名不能为空"})
        values["name_pinyin"], values["name_initials"] = pinyin_keys(values["name"])
    return values


def _check_village(user: Any, village_id: str) -> Region:
    village = Region.objects.filter(code=village_id).first()
    if village is None or village.level != Region.Level.VILLAGE:
        raise ValidationError({"village_id": f"区划代码 {village_id} 不是有效的村（社区）代码"})
    check_jurisdiction(user, village.code)
    return village


def _check_id_free(id_number: str, exclude_pk: int | None = None) -> None:
    clash = Person.objects.filter(id_number=id_number).exclude(pk=exclude_pk)
    other = clash.select_related("household").first()
    if other is not None:
        raise ValidationError(
            {"id_number": f"证件号码已登记在户 {other.household.number}（{other.name}）"}
        )


def _check_full_household(household: Household) -> None:
    """Exactly one active head."""
    heads = household.members.filter(relation=c.Relation.HEAD, removed_on__isnull=True).count()
    if heads != 1:
        raise ValidationError("每户必须有且只有一名户主")


@transaction.atomic
def register_household(
    *, acting_user: Any, household: dict[str, Any], members: list[dict[str, Any]]
) -> Household:
    """A new household with its members; exactly one of them is the head."""
    check_permission(acting_user, "registry.add_household")
    _check_village(acting_user, household.get("village_id", ""))
    values = {k: v for k, v in household.items() if k in HOUSEHOLD_FIELDS}
    if Household.objects.filter(number=values.get("number")).exists():
        raise ValidationError({"number": f"户编号 {values.get('number')} 已存在"})
    prepared = [prepare_person_fields(m) for m in members]
    if sum(1 for m in prepared if m.get("relation") == c.Relation.HEAD) != 1:
        raise ValidationError("每户必须有且只有一名户主")
    seen: set[str] = set()
    for m in prepared:
        if m["id_number"] in seen:
            raise ValidationError({"id_number": f"证件号码 {m['id_number'][:6]}… 在本户重复"})
        seen.add(m["id_number"])
        _check_id_free(m["id_number"])
    obj = Household(**values)
    obj.full_clean(exclude=["village"])
    obj.save()
    people = [Person(household=obj, **m) for m in prepared]
    Person.objects.bulk_create(people)
    key = household_context(obj.pk)
    entries = [
        audit.build(AuditLog.Action.CREATE, obj, changes=audit.snapshot(obj), context_key=key)
    ]
    entries += [
        audit.build(
            AuditLog.Action.CREATE,
            p,
            changes=audit.snapshot(p),
            region_code=obj.village_id,
            context_key=key,
        )
        for p in Person.objects.filter(household=obj)
    ]
    audit.record_many(entries)
    return obj


@transaction.atomic
def update_household(*, acting_user: Any, household: Household, data: dict[str, Any]) -> Household:
    check_permission(acting_user, "registry.change_household")
    household = Household.objects.select_for_update().get(pk=household.pk)
    check_jurisdiction(acting_user, household.village_id)
    before = audit.snapshot(household)
    values = {k: v for k, v in data.items() if k in HOUSEHOLD_FIELDS}
    if "village_id" in values and values["village_id"] != household.village_id:
        _check_village(acting_user, values["village_id"])
    for key, value in values.items():
        setattr(household, key, value)
    household.full_clean(exclude=["village"], validate_unique=True)
    changes = audit.diff(before, audit.snapshot(household))
    if changes:
        household.save()
        audit.record(
            AuditLog.Action.UPDATE,
            household,
            changes=changes,
            context_key=household_context(household.pk),
        )
    return household


@transaction.atomic
def set_income(
    *, acting_user: Any, household: Household, year: int, per_capita_net: Any, **parts: Any
) -> HouseholdIncome:
    """Record (or correct) a year's per-capita net income and its parts."""
    check_permission(acting_user, "registry.change_household")
    check_jurisdiction(acting_user, household.village_id)
    existing = HouseholdIncome.objects.filter(household=household, year=year).first()
    before = audit.snapshot(existing) if existing else {}
    income, created = HouseholdIncome.objects.update_or_create(
        household=household, year=year, defaults={"per_capita_net": per_capita_net, **parts}
    )
    changes = audit.diff(before, audit.snapshot(income))
    changes.pop("id", None)
    if changes:
        audit.record(
            AuditLog.Action.CREATE if created else AuditLog.Action.UPDATE,
            income,
            changes=changes,
            region_code=household.village_id,
            context_key=household_context(household.pk),
            message=f"{year} 年人均纯收入",
        )
    return income


@transaction.atomic
def add_member(*, acting_user: Any, household: Household, data: dict[str, Any]) -> Person:
    check_permission(acting_user, "registry.add_person")
    check_jurisdiction(acting_user, household.village_id)
    values = prepare_person_fields(data)
    _check_id_free(values["id_number"])
    person = Person(household=household, **values)
    if person.relation == c.Relation.HEAD:
        raise ValidationError(
            {"relation": "本户已有户主；如需更换户主，请先修改原户主的与户主关系"}
        )
    person.save()
    audit.record(
        AuditLog.Action.CREATE,
        person,
        changes=audit.snapshot(person),
        region_code=household.village_id,
        context_key=household_context(household.pk),
    )
    return person


@transaction.atomic
def update_person(
    *, acting_user: Any, person: Person, data: dict[str, Any], _changing_head: bool = False
) -> Person:
    """Change a member. The head is only changed through `change_head`, so that a
    household never ends up without one."""
    check_permission(acting_user, "registry.change_person")
    person = Person.objects.select_for_update().select_related("household").get(pk=person.pk)
    check_jurisdiction(acting_user, person.household.village_id)
    before = audit.snapshot(person)
    values = prepare_person_fields(data)
    new_relation = values.get("relation", person.relation)
    head_involved = c.Relation.HEAD in (person.relation, new_relation)
    if new_relation != person.relation and head_involved and not _changing_head:
        raise ValidationError({"relation": "更换户主请在新户主的成员页面使用“设为户主”"})
    if "id_number" in values and values["id_number"] != person.id_number:
        _check_id_free(values["id_number"], exclude_pk=person.pk)
    for key, value in values.items():
        setattr(person, key, value)
    changes = audit.diff(before, audit.snapshot(person))
    if changes:
        try:
            with transaction.atomic():
                person.save()
        except IntegrityError as exc:
            raise ValidationError({"relation": "本户已有户主"}) from exc
        audit.record(
            AuditLog.Action.UPDATE,
            person,
            changes=changes,
            region_code=person.household.village_id,
            context_key=household_context(person.household_id),
        )
    return person


@transaction.atomic
def change_head(
    *, acting_user: Any, household: Household, new_head: Person, old_head_relation: str
) -> None:
    """Make `new_head` the head; the old head takes `old_head_relation` (e.g. 配偶)."""
    check_permission(acting_user, "registry.change_person")
    check_jurisdiction(acting_user, household.village_id)
    if new_head.household_id != household.pk or new_head.removed_on:
        raise ValidationError("新户主必须是本户在册成员")
    if old_head_relation == c.Relation.HEAD:
        raise ValidationError({"relation": "原户主需改为其他关系"})
    old = household.members.filter(relation=c.Relation.HEAD, removed_on__isnull=True).first()
    if old is not None and old.pk != new_head.pk:
        update_person(
            acting_user=acting_user,
            person=old,
            data={"relation": old_head_relation},
            _changing_head=True,
        )
    update_person(
        acting_user=acting_user,
        person=new_head,
        data={"relation": c.Relation.HEAD},
        _changing_head=True,
    )
    _check_full_household(household)


@transaction.atomic
def remove_member(
    *, acting_user: Any, person: Person, reason: str, on: datetime.date | None = None
) -> Person:
    """Take a member off the household (death, marriage …); the record stays for history."""
    check_permission(acting_user, "registry.change_person")
    person = Person.objects.select_for_update().select_related("household").get(pk=person.pk)
    check_jurisdiction(acting_user, person.household.village_id)
    if person.removed_on:
        raise ValidationError("该成员已移除")
    if person.relation == c.Relation.HEAD:
        raise ValidationError("不能移除户主：请先指定新户主")
    if reason not in c.RemovalReason.values:
        raise ValidationError({"reason": "请选择移除原因"})
    person.removed_on = on or datetime.date.today()
    person.removal_reason = reason
    person.save(update_fields=["removed_on", "removal_reason", "updated_at"])
    audit.record(
        AuditLog.Action.DELETE,
        person,
        changes={"removed_on": str(person.removed_on), "removal_reason": reason},
        region_code=person.household.village_id,
        context_key=household_context(person.household_id),
        message=f"移除成员：{c.RemovalReason(reason).label}",
    )
    return person


@transaction.atomic
def move_member(
    *, acting_user: Any, person: Person, to_household: Household, relation: str
) -> Person:
    """Move a member to another household (both must be in the user's jurisdiction)."""
    check_permission(acting_user, "registry.change_person")
    person = Person.objects.select_for_update().select_related("household").get(pk=person.pk)
    source = person.household
    check_jurisdiction(acting_user, source.village_id)
    check_jurisdiction(acting_user, to_household.village_id)
    if to_household.pk == source.pk:
        raise ValidationError("目标户与原户相同")
    if person.relation == c.Relation.HEAD:
        raise ValidationError("户主不能直接迁出：请先指定新户主")
    if relation == c.Relation.HEAD:
        raise ValidationError({"relation": "迁入成员不能直接成为户主"})
    if relation not in c.Relation.values:
        raise ValidationError({"relation": "请选择与新户主的关系"})
    person.household = to_household
    person.relation = relation
    person.removed_on = None
    person.removal_reason = ""
    person.save()
    changes = {"household": [source.number, to_household.number], "relation": relation}
    for key, region in ((source.pk, source.village_id), (to_household.pk, to_household.village_id)):
        audit.record(
            AuditLog.Action.MOVE,
            person,
            changes=changes,
            region_code=region,
            context_key=household_context(key),
            message=f"从户 {source.number} 迁至户 {to_household.number}",
        )
    return person


def reveal_id_number(*, acting_user: Any, person: Person) -> str:
    """The full number, for users allowed to see it; every view is audited."""
    check_permission(acting_user, "registry.view_full_id")
    check_jurisdiction(acting_user, person.household.village_id)
    audit.record(
        AuditLog.Action.VIEW_FULL_ID,
        person,
        region_code=person.household.village_id,
        context_key=household_context(person.household_id),
    )
    return person.id_number
