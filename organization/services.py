"""Writes about the organization."""

from django.contrib.auth.models import Group, Permission
from django.db import transaction

from core.caching import invalidate
from organization import reference_data
from organization.models import Cadre, Department, Designation, Unit


@transaction.atomic
def reference_organization_load() -> dict[str, int]:
    """Create or update the reference departments, units, cadres, designations and role groups.

    Matched by name, so running it again changes nothing. Returns how many rows were created per model.
    """
    created = dict.fromkeys(["Department", "Unit", "Cadre", "Designation", "Group"], 0)
    for spec in reference_data.DEPARTMENTS:
        department, new = Department.objects.update_or_create(
            name=spec["name"], defaults={"abbr": spec["abbr"], "kind": spec["kind"]}
        )
        created["Department"] += new
        for name, abbr in spec["units"]:
            _, new = Unit.objects.update_or_create(name=name, defaults={"abbr": abbr, "department": department})
            created["Unit"] += new
    for cadre_name, designations in reference_data.CADRES.items():
        cadre, new = Cadre.objects.get_or_create(name=cadre_name)
        created["Cadre"] += new
        for name, abbr in designations:
            _, new = Designation.objects.update_or_create(name=name, defaults={"abbr": abbr, "cadre": cadre})
            created["Designation"] += new
    for group_name, perms in reference_data.GROUPS.items():
        group, new = Group.objects.get_or_create(name=group_name)
        created["Group"] += new
        group.permissions.set(_permissions(perms))
    return created


def _permissions(names: list[str]) -> list[Permission]:
    wanted = {tuple(name.split(".", 1)) for name in names}
    candidates = Permission.objects.select_related("content_type").filter(
        content_type__app_label__in={app for app, _ in wanted}, codename__in={code for _, code in wanted}
    )
    found = [p for p in candidates if (p.content_type.app_label, p.codename) in wanted]
    if len(found) != len(wanted):
        raise LookupError(f"Unknown permissions among {sorted(names)}; run migrate first.")
    return found


@transaction.atomic
def organization_record_save(*, record: Cadre | Designation | Department | Unit, fields: dict) -> None:
    """Create or change a cadre, designation, department or unit with the validated `fields`.

    Heads (departments and units) are set as given; a unit that moved to another department takes its
    people along. All or nothing.
    """
    heads = fields.pop("heads", None)
    for name, value in fields.items():
        setattr(record, name, value)
    record.full_clean()
    record.save()
    if heads is not None:
        record.heads.set(heads)
    if isinstance(record, Unit):
        unit_members_follow_department(unit=record)


def organization_record_delete(*, record: Cadre | Designation | Department | Unit) -> None:
    """Delete by the model's rules: a department takes its units along; a cadre or designation in use is
    blocked (ProtectedError, a 409 in the API); people are detached."""
    record.delete()


def unit_members_follow_department(*, unit: Unit) -> int:
    """After a unit moved to another department, move its people there too; return how many moved.

    Keeps the rule that a person's unit belongs to their department.
    """
    moved = unit.members.exclude(department_id=unit.department_id).update(department_id=unit.department_id)
    if moved:
        invalidate("org", "people")  # update() sends no signal (core.caching)
    return moved
