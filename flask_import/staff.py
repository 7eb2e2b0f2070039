"""The staff directory (Flask + SQLAlchemy): the organization, its people, their roles and the heads.

A person is a `users` row with its `accounts` row (the first active one when there are several: the others'
roles are merged in). Not imported: `users.cadre_id` (a person's cadre is their designation's).
"""

import re
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.utils import timezone

from accounts.models import User
from core.bulk import BulkWriter
from flask_import.importing import Importer, Item, Ref, batched, unusable_password
from flask_import.source import utc
from organization.models import Cadre, Department, DepartmentKind, Designation, Unit

KINDS = {"center": DepartmentKind.CENTER, "centre": DepartmentKind.CENTER, "department": DepartmentKind.DEPARTMENT}


PAIR_LABELS = {
    "accounts_roles_table": "Roles of people",
    "unitHeads": "Unit heads",
    "departmentHeads": "Department heads",
}


class PlainPassword(str):
    """A password the staff directory kept as text: hashed when written, never stored as it is."""


class StaffImporter(Importer):
    name = "staff"
    schema = {
        "departments": ("id", "name", "abbr", "type"),
        "units": ("id", "name", "abbr", "department_id"),
        "cadres": ("id", "name"),
        "designations": ("id", "name", "abbr", "cadre_id"),
        "roles": ("id", "name"),
        "accounts": ("id", "username", "password", "inactive", "inactive_date", "inactive_by", "user_id"),
        "users": (
            "id",
            "fullname",
            "employee_id",
            "email",
            "mobile",
            "email2",
            "email3",
            "mobile2",
            "mobile3",
            "officeAddress",
            "department_id",
            "unit_id",
            "designation_id",
            "create_date",
            "inactive",
            "inactive_date",
            "created_by",
            "inactive_by",
        ),
        "accounts_roles_table": ("account_id", "role_id"),
        "unitHeads": ("unit_id", "user_id"),
        "departmentHeads": ("department_id", "user_id"),
    }
    # table → (the m2m through model, its two columns), for the pair tables
    PAIRS = {
        "accounts_roles_table": (User.groups.through, ("user_id", "group_id")),
        "unitHeads": (Unit.heads.through, ("unit_id", "user_id")),
        "departmentHeads": (Department.heads.through, ("department_id", "user_id")),
    }

    def plan(self) -> None:
        self.organization = {}
        self.parents: dict[tuple[str, int], int] = {}  # (units or designations, source id) → its parent's id
        self._plan_departments()
        self._plan_named_with_parent(Unit, "units", "departments", "department")
        self._plan_named(Cadre, "cadres", lambda row: {"name": row["name"]})
        self._plan_named_with_parent(Designation, "designations", "cadres", "cadre")
        self._plan_named(Group, "roles", lambda row: {"name": row["name"]})
        self._plan_accounts()
        self._plan_people()
        self.pairs = {table: self._plan_pairs(table) for table in self.PAIRS}

    def write(self) -> None:
        for model, items in self.organization.values():
            self.write_items(model, items, history=model is not Group)
        for item in self.organization["units"][1]:
            if item.obj is not None:  # a unit that moved takes its people along (as in the admin)
                unit = item.obj
                User.objects.filter(unit=unit).exclude(department_id=unit.department_id).update(
                    department_id=unit.department_id
                )
        self._hash_plain_passwords()
        self.write_people(self.people)
        self._write_links()
        for table, rows in self.pairs.items():
            model, columns = self.PAIRS[table]
            bar = self.progress(len(rows), f"{table} (write)")
            BulkWriter(model, columns, progress=bar).write(self._pair_ids(table, pair) for pair in rows)
            bar.close()

    # --- organization ---------------------------------------------------------------------------------------

    def _plan_named(self, model, table: str, values_of) -> list[Item]:
        rows = []
        for row in self._records(table):
            values = values_of(row)
            if values is not None:
                rows.append((row["id"], values))
        items = self.plan_named(model, table, rows)
        self.count_plan(model, items)
        self.organization[table] = (model, items)
        return items

    def _plan_departments(self) -> None:
        def values_of(row):
            kind = KINDS.get((row["type"] or "department").strip().lower())
            if kind is None:
                self.seen["departments"].add(row["id"])
                message = f"type {row['type']!r} is not CENTER or Department"
                self.conflict("departments", row["id"], message, "invalid-value")
                return None
            return {"name": row["name"], "abbr": row["abbr"] or "", "kind": kind}

        self._plan_named(Department, "departments", values_of)

    def _plan_named_with_parent(self, model, table: str, parent: str, what: str) -> None:
        def values_of(row):
            self.seen[table].add(row["id"])
            if not self.parent_ok(table, row["id"], parent, row[f"{what}_id"], what):
                return None
            self.parents[table, row["id"]] = row[f"{what}_id"]
            return {"name": row["name"], "abbr": row["abbr"] or "", f"{what}_id": Ref(parent, row[f"{what}_id"])}

        self._plan_named(model, table, values_of)

    # --- people ---------------------------------------------------------------------------------------------

    def _plan_accounts(self) -> None:
        """Each person's account (the first active one), and every account's person."""
        users = {row[0] for row in self.source.rows("users", ("id",))}
        self.account_user: dict[int, int] = {}
        self.account_of: dict[int, dict] = {}
        by_user = defaultdict(list)
        for row in self._records("accounts"):
            self.seen["accounts"].add(row["id"])
            if row["user_id"] is None or row["user_id"] not in users:
                self.conflict("accounts", row["id"], "it belongs to no person of the source", "missing-parent")
                continue
            self.account_user[row["id"]] = row["user_id"]
            by_user[row["user_id"]].append(row)
        merged = 0
        for user_id, accounts in by_user.items():
            accounts.sort(key=lambda a: (bool(a["inactive"]), a["id"]))
            self.account_of[user_id] = accounts[0]
            merged += len(accounts) - 1
        if merged:
            self.notes.append(f"{merged} extra accounts were merged into their person (their roles kept).")

    def _plan_people(self) -> None:
        rows, no_account, deactivated_by = [], set(), {}
        usernames = {a["username"].lower() for a in self.account_of.values() if a["username"]}
        records = self._records("users")
        for row in records:
            self.seen["users"].add(row["id"])
        for row in records:
            source_id = row["id"]
            account = self.account_of.get(source_id)
            values = self._person_values(row)
            if values is None:
                continue
            if account:
                values["username"] = account["username"]
                if values["is_active"] and account["inactive"]:  # the account alone was deactivated
                    try:
                        when = utc(account["inactive_date"])
                    except ValueError as exc:
                        self.conflict("users", source_id, f"its account: {exc}", "invalid-value")
                        continue
                    values["is_active"] = False
                    values["deactivated_at"] = when or timezone.now()
                    deactivated_by[source_id] = account["inactive_by"]
                password = PlainPassword(account["password"]) if account["password"] else unusable_password()
            else:
                values["username"] = self._username_from_email(row["email"] or "", source_id, usernames)
                no_account.add(source_id)
                password = unusable_password()
            rows.append((source_id, values, password, isinstance(password, PlainPassword)))
        self.people = self.plan_people("users", rows, made_up=frozenset(no_account))
        by_id = {row["id"]: row for row in records}
        for item in self.people:
            if item.obj is not None and item.source_id in no_account:
                item.values["username"] = item.obj.username  # made up from the email: never renames anyone
            item.extra["links"] = {
                "created_by_id": self._account_person(by_id[item.source_id]["created_by"]),
                "deactivated_by_id": self._account_person(
                    deactivated_by.get(item.source_id, by_id[item.source_id]["inactive_by"])
                ),
            }
        self.count_plan(User, self.people)
        if no_account:
            self.notes.append(f"{len(no_account)} people have no account: their username comes from their email.")

    def _person_values(self, row) -> dict | None:
        source_id = row["id"]
        department_id, unit_id, designation_id = row["department_id"], row["unit_id"], row["designation_id"]
        ok = (
            self.parent_ok("users", source_id, "departments", department_id, "department", required=False)
            and self.parent_ok("users", source_id, "units", unit_id, "unit", required=False)
            and self.parent_ok("users", source_id, "designations", designation_id, "designation", required=False)
        )
        if not ok:
            return None
        if unit_id is not None:
            unit_department = self.parents["units", unit_id]
            if department_id is not None and department_id != unit_department:
                message = f"its unit ({unit_id}) belongs to another department than its own ({department_id})"
                self.conflict("users", source_id, message, "invalid-value")
                return None
            department_id = unit_department
        inactive = bool(row["inactive"])
        try:
            joined, inactive_date = utc(row["create_date"]), utc(row["inactive_date"])
        except ValueError as exc:
            self.conflict("users", source_id, str(exc), "invalid-value")
            return None
        values = {
            "email": row["email"],
            "full_name": (row["fullname"] or "").strip(),
            "employee_id": (row["employee_id"] or "").strip() or None,
            "office_address": (row["officeAddress"] or "").strip(),
            "department_id": Ref("departments", department_id) if department_id is not None else None,
            "unit_id": Ref("units", unit_id) if unit_id is not None else None,
            "designation_id": Ref("designations", designation_id) if designation_id is not None else None,
            "date_joined": joined or timezone.now(),
            "is_active": not inactive,
            "deactivated_at": (inactive_date or joined or timezone.now()) if inactive else None,
        }
        for name in ("mobile", "mobile2", "mobile3", "email2", "email3"):
            values[name] = (str(row[name]) if row[name] is not None else "").strip()
        return values

    def _username_from_email(self, email: str, source_id: int, taken: set[str]) -> str:
        """A username for a person without an account: their email's local part, made unique."""
        base = re.sub(r"[^\w.@+-]", "", email.split("@", 1)[0])[:140] or "person"
        username = base if base.lower() not in taken else f"{base}_{source_id}"
        taken.add(username.lower())
        return username

    def _account_person(self, account_id) -> Ref | None:
        user_id = self.account_user.get(account_id)
        return Ref("users", user_id) if user_id is not None and user_id not in self.bad["users"] else None

    def _hash_plain_passwords(self) -> None:
        """Hash the plain-text passwords the write needs (Argon2 is slow by design: on every core)."""
        needed = [
            values
            for item in self.people
            for values in (item.values, item.extra.get("password_change") or {})
            if isinstance(values.get("password"), PlainPassword)
        ]
        with ThreadPoolExecutor() as pool:
            hashes = pool.map(make_password, [values["password"] for values in needed])
            for values, encoded in zip(needed, hashes, strict=True):
                values["password"] = encoded

    def _write_links(self) -> None:
        """Who created and who deactivated each person: people of the same source, so after all are written."""
        for item in self.people:
            links = self.resolve(item.extra["links"])  # a person's id, or None
            if item.obj is not None:
                self.update(item.obj, links, table="users", source_id=item.source_id)
            elif known := {name: pk for name, pk in links.items() if pk is not None}:
                User.objects.filter(pk=self.ids["users"][item.source_id]).update(**known)

    # --- roles and heads ------------------------------------------------------------------------------------

    def _plan_pairs(self, table: str) -> list[tuple[int, int]]:
        """Rows of a pair table to add (those here already are left alone)."""
        first, second = self.schema[table]
        parents = {
            "accounts_roles_table": (("accounts", "account"), ("roles", "role")),
            "unitHeads": (("units", "unit"), ("users", "person")),
            "departmentHeads": (("departments", "department"), ("users", "person")),
        }[table]
        model, columns = self.PAIRS[table]
        known = {}
        for pair in self.source.rows(table, (first, second)):
            (a_table, a_what), (b_table, b_what) = parents
            if not (
                self.parent_ok(table, pair, a_table, pair[0], a_what)
                and self.parent_ok(table, pair, b_table, pair[1], b_what)
            ):
                continue
            if table == "accounts_roles_table" and self.account_user[pair[0]] in self.bad["users"]:
                person = self.account_user[pair[0]]
                self.conflict(table, pair, f"its account's person (users {person}) is not imported", "parent-skipped")
                continue
            known[self._pair_refs(table, pair)] = pair
        here = set()
        first_ids = [pk for pk in {self.ids[ref.table].get(ref.source_id) for ref, _ in known} if pk is not None]
        for chunk in batched(first_ids):
            here.update(model.objects.filter(**{f"{columns[0]}__in": chunk}).values_list(*columns))
        new, label = [], PAIR_LABELS[table]
        for refs, pair in known.items():
            ours = tuple(self.ids[ref.table].get(ref.source_id) for ref in refs)
            if None not in ours and ours in here:
                self.counts[label, "unchanged"] += 1
            else:
                self.counts[label, "created"] += 1
                new.append(pair)
        return new

    def _pair_refs(self, table: str, pair: tuple[int, int]) -> tuple[Ref, Ref]:
        if table == "accounts_roles_table":
            return Ref("users", self.account_user[pair[0]]), Ref("roles", pair[1])
        if table == "unitHeads":
            return Ref("units", pair[0]), Ref("users", pair[1])
        return Ref("departments", pair[0]), Ref("users", pair[1])

    def _pair_ids(self, table: str, pair: tuple[int, int]) -> tuple[int, int]:
        return tuple(self.ids[ref.table][ref.source_id] for ref in self._pair_refs(table, pair))

    # --- reading --------------------------------------------------------------------------------------------

    def _records(self, table: str) -> list[dict]:
        columns = self.schema[table]
        return [dict(zip(columns, row, strict=True)) for row in self.source.rows(table, columns)]
