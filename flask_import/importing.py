"""What both imports share: conflicts, matching (the kept map, then natural keys), and the writes.

An import runs in two phases. Planning reads the source and our database (never writing) and decides,
row by row, what to create, what to update and what is in conflict. Writing carries the plan out in one
transaction, through the bulk writer (core.bulk) for the big tables. A dry run stops after planning.
"""

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX, make_password
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from accounts.models import User
from accounts.services import user_tokens_revoke
from core.bulk import BulkWriter
from flask_import.models import ImportedRow
from flask_import.source import Source

BATCH = 500  # ids or names per lookup query


@dataclass(frozen=True, order=True)
class Conflict:
    """A source row that cannot be imported as it is."""

    table: str
    id: str
    message: str
    code: str

    def __str__(self):
        return f"{self.table} {self.id}: {self.message} [{self.code}]"


class Ref(NamedTuple):
    """A foreign key to a row of the source (resolved to its id here when the plan is written)."""

    table: str
    source_id: int


@dataclass
class Item:
    """One source row, planned: `obj` is the row here it updates (None: a new one)."""

    table: str
    source_id: int
    values: dict[str, Any]
    obj: models.Model | None = None
    mapped: bool = False  # the kept map already points at obj
    extra: dict[str, Any] = field(default_factory=dict)


class Progress:
    """Silent progress (the command passes tqdm bars)."""

    def update(self, n=1):
        pass

    def close(self):
        pass


def silent(total: int, description: str) -> Progress:
    return Progress()


def batched(values: Sequence, size: int = BATCH) -> Iterable[Sequence]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def source_id_text(source_id) -> str:
    return ":".join(map(str, source_id)) if isinstance(source_id, tuple) else str(source_id)


class Importer:
    """The shared machinery; a subclass names its source, its schema, and plans and writes its tables."""

    name = ""  # "microblog" or "staff"
    schema: dict[str, tuple[str, ...]] = {}  # the tables and columns read (checked before anything else)

    def __init__(self, source: Source, *, database: str = "", progress: Callable[[int, str], Progress] = silent):
        self.source = source
        self.database = database or source.identity
        self.progress = progress
        self.conflicts: list[Conflict] = []
        self.bad: dict[str, set] = defaultdict(set)  # table → source ids not imported
        self.seen: dict[str, set] = defaultdict(set)  # table → source ids present in the source
        self.ids: dict[str, dict[int, int | None]] = defaultdict(dict)  # table → source id → id here (None: new)
        self.counts: Counter = Counter()  # (model name, "created" | "updated" | "unchanged") → rows
        self.notes: list[str] = []
        self.reason = f"import_flask {self.name}"

    # --- the two phases, for the command --------------------------------------------------------------

    def plan(self) -> None:
        raise NotImplementedError

    def write(self) -> None:
        raise NotImplementedError

    @property
    def changes(self) -> int:
        return self.count("created") + self.count("updated")

    def count(self, outcome: str) -> int:
        return sum(n for (_, o), n in self.counts.items() if o == outcome)

    def labels(self) -> list[str]:
        return list(dict.fromkeys(label for label, _ in self.counts))

    # --- conflicts --------------------------------------------------------------------------------------

    def conflict(self, table: str, source_id, message: str, code: str) -> None:
        self.conflicts.append(Conflict(table, source_id_text(source_id), message, code))
        self.bad[table].add(source_id)

    def parent_ok(self, table: str, source_id, parent: str, parent_id, what: str, *, required: bool = True) -> bool:
        """Whether the row's parent (`parent` table, `parent_id`) is there to point at; records the conflict."""
        if parent_id is None:
            if required:
                self.conflict(table, source_id, f"it has no {what}", "missing-parent")
            return not required
        if parent_id in self.bad[parent]:
            self.conflict(table, source_id, f"its {what} ({parent} {parent_id}) is not imported", "parent-skipped")
            return False
        if parent_id not in self.seen[parent]:
            self.conflict(table, source_id, f"its {what} ({parent} {parent_id}) is not in the source", "missing-parent")
            return False
        return True

    def check_values(self, model, table: str, source_id, values: dict, codes: dict[str, str] | None = None) -> bool:
        """Run each field's own validators (lengths, formats) on the values; record the first failure."""
        for name, value in values.items():
            if isinstance(value, Ref) or value is None:
                continue
            model_field = model._meta.get_field(name)
            try:
                model_field.run_validators(value)
            except ValidationError as exc:
                label = name.removesuffix("_id")
                message = f"{label} {shorten(value)!r}: {' '.join(exc.messages)}"
                self.conflict(table, source_id, message, (codes or {}).get(name, "invalid-value"))
                return False
        return True

    # --- the kept map -----------------------------------------------------------------------------------

    def map_of(self, table: str):
        """The map's entries for `table` of this source database."""
        return ImportedRow.objects.filter(source=self.name, database=self.database, table=table)

    def load_map(self, table: str) -> dict[int, int]:
        return dict(self.map_of(table).values_list("source_id", "object_id"))

    def mapped_rows(self, model, table: str, fields: Sequence[str] | None = None):
        """The rows here that the map points at for `table`, by id (one query, whatever their number)."""
        object_ids = self.map_of(table).values("object_id")
        queryset = model._default_manager.filter(pk__in=models.Subquery(object_ids))
        if fields:
            return {row[0]: row for row in queryset.values_list("pk", *fields)}
        return queryset.in_bulk()

    def save_map(self, table: str, pairs: Iterable[tuple[int, int]]) -> None:
        """Remember source id → id here for `table` (replacing what pointed elsewhere)."""
        pairs = list(pairs)
        if not pairs:
            return
        known = self.load_map(table)
        stale = [source_id for source_id, object_id in pairs if source_id in known and known[source_id] != object_id]
        for chunk in batched(stale):
            self.map_of(table).filter(source_id__in=chunk).delete()
        now = timezone.now()
        new = ((self.name, self.database, table, s, o, now) for s, o in pairs if known.get(s) != o)
        writer = BulkWriter(ImportedRow, ["source", "database", "table", "source_id", "object_id", "imported_at"])
        writer.write(new)

    # --- matching by natural key ------------------------------------------------------------------------

    @staticmethod
    def lookup_lower(model, field_name: str, values: Iterable[str]) -> dict[str, models.Model]:
        """The rows here whose `field_name`, in any letter case, is among `values` (lowercased keys)."""
        wanted = sorted({v.lower() for v in values if v})
        found = {}
        for chunk in batched(wanted):
            queryset = model._default_manager.annotate(lowered=Lower(field_name)).filter(lowered__in=chunk)
            found.update({getattr(obj, field_name).lower(): obj for obj in queryset})
        return found

    # --- writing ----------------------------------------------------------------------------------------

    def resolve(self, values: dict) -> dict:
        return {k: (self.ids[v.table][v.source_id] if isinstance(v, Ref) else v) for k, v in values.items()}

    def differs(self, obj, values: dict) -> bool:
        """Whether writing `values` (refs to rows not created yet count as changes) would change `obj`."""
        for name, value in values.items():
            if isinstance(value, Ref):
                value = self.ids[value.table].get(value.source_id)
                if value is None:
                    return True
            if getattr(obj, name) != value:
                return True
        return False

    def count_plan(self, model, items: Iterable[Item]) -> None:
        label = plural(model)
        for item in items:
            if item.obj is None:
                self.counts[label, "created"] += 1
            elif self.differs(item.obj, item.values | item.extra.get("links", {})) or item.extra.get("password_change"):
                self.counts[label, "updated"] += 1
            else:
                self.counts[label, "unchanged"] += 1

    def create(self, model, objs: list, *, table: str, source_ids: list[int], history: bool = False) -> None:
        """Insert new rows (bulk writer, ids back) and their history records; `self.ids` learns their ids."""
        if not objs:
            return
        fields = [f.attname for f in model._meta.concrete_fields if not f.primary_key]
        bar = self.progress(len(objs), f"{model._meta.verbose_name_plural} (write)")
        rows = ([getattr(obj, name) for name in fields] for obj in objs)
        ids = BulkWriter(model, fields, progress=bar).write(rows, with_ids=True)
        bar.close()
        for obj, pk in zip(objs, ids, strict=True):
            obj.pk = pk
        if history:
            for obj, source_id in zip(objs, source_ids, strict=True):
                obj._change_reason = f"{self.reason}: {table} {source_id}"  # django-simple-history's own attribute
            model.history.bulk_history_create(objs, default_change_reason=self.reason)
        for source_id, pk in zip(source_ids, ids, strict=True):
            self.ids[table][source_id] = pk

    def update(self, obj, values: dict, *, table: str, source_id: int) -> bool:
        """Change `obj` to `values` (one save, its history record tells the import); False if nothing changed."""
        changed = [name for name, value in values.items() if getattr(obj, name) != value]
        for name in changed:
            setattr(obj, name, values[name])
        if changed:
            obj._change_reason = f"{self.reason}: {table} {source_id}"
            obj.save(update_fields=changed)
        return bool(changed)

    def write_items(self, model, items: list[Item], *, history: bool) -> None:
        """Create the new rows of `items`, update the others, and remember them all in the map."""
        table = items[0].table if items else ""
        new = [item for item in items if item.obj is None]
        objs = [model(**self.resolve(item.values)) for item in new]
        self.create(model, objs, table=table, source_ids=[item.source_id for item in new], history=history)
        bar = self.progress(len(items) - len(new), f"{model._meta.verbose_name_plural} (update)")
        for item in items:
            if item.obj is not None:
                self.update(item.obj, self.resolve(item.values), table=table, source_id=item.source_id)
                self.ids[table][item.source_id] = item.obj.pk
                bar.update()
        bar.close()
        self.save_map(table, [(item.source_id, self.ids[table][item.source_id]) for item in items])

    # --- organization-like rows matched by name ---------------------------------------------------------

    def plan_named(self, model, table: str, rows: list[tuple[int, dict]]) -> list[Item]:
        """Rows matched by the map, then by name in any letter case; duplicates and taken names are conflicts."""
        mapped = self.load_map(table)
        by_pk = self.mapped_rows(model, table)
        by_name = self.lookup_lower(model, "name", [values["name"] for _, values in rows if values.get("name")])
        items, names, claimed = [], {}, set()
        for source_id, _values in rows:
            self.seen[table].add(source_id)
        for source_id, values in rows:
            if source_id in self.bad[table]:
                continue
            name = (values.get("name") or "").strip()
            values["name"] = name
            if not name:
                self.conflict(table, source_id, "it has no name", "invalid-value")
                continue
            if not self.check_values(model, table, source_id, values):
                continue
            if name.lower() in names:
                other = names[name.lower()]
                self.conflict(table, source_id, f"name {name!r} is also {table} {other} of the source", "duplicate")
                continue
            names[name.lower()] = source_id
            obj = by_pk.get(mapped.get(source_id))
            here = by_name.get(name.lower())
            if obj is not None and here is not None and here.pk != obj.pk:
                self.conflict(table, source_id, f"name {name!r} is taken here by another row ({here.pk})", "name-taken")
                continue
            obj = obj or here
            if obj is not None and obj.pk in claimed:
                self.conflict(table, source_id, f"another row of the source is already {obj}", "duplicate")
                continue
            if obj is not None:
                claimed.add(obj.pk)
            self.ids[table][source_id] = obj.pk if obj else None
            items.append(Item(table, source_id, values, obj, mapped=source_id in mapped))
        return items

    # --- people -----------------------------------------------------------------------------------------

    def plan_people(
        self, table: str, rows: list[tuple[int, dict, str, bool]], *, made_up: frozenset = frozenset()
    ) -> list[Item]:
        """People matched by the map, then by username or email in any letter case.

        The usernames of the rows in `made_up` (source ids) were made up here: they match nobody, and one
        that someone here has is made unique.

        `rows`: (source id, field values, password hash, whether they must choose a new password). The
        password is set on a new person, and on one here who has no usable password; never over one they
        use (a re-run after their first sign-in).
        """
        mapped = self.load_map(table)
        by_pk = self.mapped_rows(User, table)
        usernames = self.lookup_lower(User, "username", [v.get("username") or "" for _, v, *_ in rows])
        emails = self.lookup_lower(User, "email", [v.get("email") or "" for _, v, *_ in rows])
        employee_ids = {
            u.employee_id: u
            for chunk in batched(sorted({v["employee_id"] for _, v, *_ in rows if v.get("employee_id")}))
            for u in User.objects.filter(employee_id__in=chunk)
        }
        codes = {"username": "username-invalid", "email": "email-invalid"}
        items, taken, claimed = [], defaultdict(dict), set()
        for source_id, *_ in rows:
            self.seen[table].add(source_id)
        bar = self.progress(len(rows), f"{table} (plan)")
        for source_id, values, password, must_change in rows:
            bar.update()
            if source_id in self.bad[table]:
                continue
            values["username"] = (values.get("username") or "").strip()
            values["email"] = User.objects.normalize_email((values.get("email") or "").strip())
            if not values["username"]:
                self.conflict(table, source_id, "it has no username", "username-invalid")
                continue
            if not values["email"]:
                self.conflict(table, source_id, "it has no email address", "email-invalid")
                continue
            if not self.check_values(User, table, source_id, values, codes):
                continue
            keys = {"username": values["username"].lower(), "email": values["email"].lower()}
            if values.get("employee_id"):
                keys["employee_id"] = values["employee_id"]
            clash = next((k for k, v in keys.items() if v in taken[k]), None)
            if clash:
                other = taken[clash][keys[clash]]
                message = f"{clash} {values[clash]!r} is also {table} {other} of the source (in any letter case)"
                self.conflict(table, source_id, message, "duplicate")
                continue
            for key, value in keys.items():
                taken[key][value] = source_id
            obj = by_pk.get(mapped.get(source_id))
            by_username, by_email = usernames.get(keys["username"]), emails.get(keys["email"])
            if source_id in made_up:
                target = obj or by_email
                if by_username is not None and (target is None or by_username.pk != target.pk):
                    values["username"] = self.free_username(values["username"], source_id)
                by_username = None
            by_employee_id = employee_ids.get(values.get("employee_id"))
            target = obj or by_username or by_email
            if by_username is not None and by_username.pk != target.pk:
                message = f"username {values['username']!r} is taken here by another person ({by_username.username})"
                self.conflict(table, source_id, message, "username-taken")
                continue
            if by_email is not None and by_email.pk != target.pk:
                message = f"email {values['email']!r} is taken here by another person ({by_email.username})"
                self.conflict(table, source_id, message, "email-taken")
                continue
            if by_employee_id is not None and (target is None or by_employee_id.pk != target.pk):
                message = f"employee id {values['employee_id']!r} is taken here by {by_employee_id.username}"
                self.conflict(table, source_id, message, "invalid-value")
                continue
            if target is not None and target.pk in claimed:
                self.conflict(table, source_id, f"another row of the source is already {target.username}", "duplicate")
                continue
            item = Item(table, source_id, values, target, mapped=source_id in mapped)
            usable = password and not password.startswith(UNUSABLE_PASSWORD_PREFIX)
            if target is None:
                values["password"] = password
                values["must_change_password"] = bool(usable and must_change)
            else:
                claimed.add(target.pk)
                if usable and not target.has_usable_password():
                    item.extra["password_change"] = {"password": password, "must_change_password": must_change}
            self.ids[table][source_id] = target.pk if target else None
            items.append(item)
        bar.close()
        return items

    @staticmethod
    def free_username(base: str, source_id: int) -> str:
        """`base` with the source id (and a counter, if need be) appended: a username nobody here has."""
        candidate, n = f"{base[:130]}_{source_id}", 1
        while User.objects.filter(username__iexact=candidate).exists():
            n += 1
            candidate = f"{base[:130]}_{source_id}_{n}"
        return candidate

    def write_people(self, items: list[Item]) -> None:
        for item in items:
            if item.obj is not None and "password_change" in item.extra:
                item.values.update(item.extra["password_change"])
                user_tokens_revoke(user=item.obj)  # a new password: no token of an earlier one goes on working
        self.write_items(User, items, history=True)


def plural(model) -> str:
    """The model's name in the summary ("People", "Posts", …)."""
    return "People" if model is User else str(model._meta.verbose_name_plural).capitalize()


def unusable_password() -> str:
    return make_password(None)


def shorten(value, length: int = 40) -> str:
    text = str(value)
    return text if len(text) <= length else text[: length - 1] + "…"
