"""The microblog (the Flask Mega-Tutorial app): people, posts, follows and private messages.

Not imported: `notification` and `task` (transient), `user.token` (API clients ask for a new token), and
`post.language` (posts here carry no language).
"""

from django.utils import timezone

from accounts.hashers import django_encoded_werkzeug_hash
from accounts.models import Follow, User
from core.bulk import BulkWriter
from flask_import.importing import Importer, Ref, batched, plural, unusable_password
from flask_import.source import utc
from posts.counting import posts_added
from posts.models import POST_MAX_LENGTH, Message, Post


class MicroblogImporter(Importer):
    name = "microblog"
    schema = {
        "user": ("id", "username", "email", "password_hash", "about_me", "last_seen", "last_message_read_time"),
        "post": ("id", "body", "timestamp", "user_id"),
        "followers": ("follower_id", "followed_id"),
        "message": ("id", "sender_id", "recipient_id", "body", "timestamp"),
    }

    def plan(self) -> None:
        self._plan_people()
        self.posts = self._plan_texts(Post, "post", ("author",))
        self._plan_follows()
        self.messages = self._plan_texts(Message, "message", ("sender", "recipient"))

    def write(self) -> None:
        self.write_people(self.people)
        self._write_texts(Post, "post", self.posts, ("author",))
        self._write_follows()
        self._write_texts(Message, "message", self.messages, ("sender", "recipient"))

    # --- people -------------------------------------------------------------------------------------------

    def _plan_people(self) -> None:
        rows, foreign_hashes = [], 0
        for source_id, username, email, password_hash, about_me, last_seen, read_time in self.source.rows(
            "user", self.schema["user"]
        ):
            try:
                values = {
                    "username": username,
                    "email": email,
                    "about_me": about_me or "",
                    "last_seen": utc(last_seen),
                    "last_message_read_time": utc(read_time),
                }
            except ValueError as exc:
                self.seen["user"].add(source_id)
                self.conflict("user", source_id, str(exc), "invalid-value")
                continue
            password = django_encoded_werkzeug_hash(password_hash) if password_hash else None
            foreign_hashes += bool(password_hash and password is None)
            rows.append((source_id, values, password or unusable_password(), False))
        if foreign_hashes:
            self.notes.append(
                f"{foreign_hashes} people have a password hash that is not Werkzeug's: they get no usable "
                "password and choose one with “Forgot your password?”."
            )
        self.people = self.plan_people("user", rows)
        self.count_plan(User, self.people)

    # --- posts and messages -------------------------------------------------------------------------------

    def _plan_texts(self, model, table: str, people: tuple[str, ...]) -> list[tuple]:
        """Posts (author) or messages (sender, recipient): (source id, body, timestamp, refs, row here or None)."""
        mapped = self.load_map(table)
        here = self.mapped_rows(model, table, ("body", "timestamp", *(f"{p}_id" for p in people)))
        columns = self.schema[table]
        planned, label = [], plural(model)
        rows = self.source.rows(table, columns)
        bar = self.progress(len(rows), f"{table} (plan)")
        for row in rows:
            bar.update()
            record = dict(zip(columns, row, strict=True))
            source_id = record["id"]
            self.seen[table].add(source_id)
            person_ids = [record["user_id"]] if table == "post" else [record["sender_id"], record["recipient_id"]]
            parents = zip(person_ids, people, strict=True)
            if not all(self.parent_ok(table, source_id, "user", pid, what) for pid, what in parents):
                continue
            body = record["body"]
            if body is None or not body.strip():
                self.conflict(table, source_id, "its body is empty or only spaces", "body-blank")
                continue
            if len(body) > POST_MAX_LENGTH:
                message = f"its body has {len(body)} characters (at most {POST_MAX_LENGTH})"
                self.conflict(table, source_id, message, "body-too-long")
                continue
            try:
                timestamp = utc(record["timestamp"]) or timezone.now()
            except ValueError as exc:
                self.conflict(table, source_id, str(exc), "invalid-value")
                continue
            refs = [Ref("user", pid) for pid in person_ids]
            existing = here.get(mapped.get(source_id))
            if existing is None:
                self.counts[label, "created"] += 1
            else:
                people_here = [self.ids["user"].get(ref.source_id) for ref in refs]
                same_people = people_here == list(existing[3:])
                outcome = "unchanged" if (body, timestamp) == existing[1:3] and same_people else "updated"
                self.counts[label, outcome] += 1
                if outcome == "unchanged":
                    continue
            planned.append((source_id, body, timestamp, refs, existing))
        bar.close()
        return planned

    def _write_texts(self, model, table: str, planned: list[tuple], people: tuple[str, ...]) -> None:
        fields = ["body", "timestamp", *(f"{p}_id" for p in people)]
        new = [p for p in planned if p[4] is None]
        bar = self.progress(len(new), f"{table} (write)")
        rows = (
            (body, timestamp, *(self.ids["user"][ref.source_id] for ref in refs)) for _, body, timestamp, refs, _ in new
        )
        ids = BulkWriter(model, fields, progress=bar).write(rows, with_ids=True)
        bar.close()
        if model is Post:
            posts_added(len(ids))  # the bulk writer sends no model signals (posts.counting)
        self.save_map(table, zip((p[0] for p in new), ids, strict=True))
        changed = [
            model(pk=existing[0], body=body, timestamp=timestamp, **self._people(people, refs))
            for _, body, timestamp, refs, existing in planned
            if existing is not None
        ]
        model.objects.bulk_update(changed, fields, batch_size=1000)

    def _people(self, people: tuple[str, ...], refs: list[Ref]) -> dict:
        return {f"{name}_id": self.ids["user"][ref.source_id] for name, ref in zip(people, refs, strict=True)}

    # --- follows ------------------------------------------------------------------------------------------

    def _plan_follows(self) -> None:
        known = [pk for pk in self.ids["user"].values() if pk is not None]
        here = set()
        for chunk in batched(known):
            here.update(Follow.objects.filter(follower_id__in=chunk).values_list("follower_id", "followed_id"))
        self.follows, pairs = [], set()
        for follower, followed in self.source.rows("followers", self.schema["followers"]):
            pair = (follower, followed)
            if not (
                self.parent_ok("followers", pair, "user", follower, "follower")
                and self.parent_ok("followers", pair, "user", followed, "followed person")
            ):
                continue
            if follower == followed:
                self.conflict("followers", pair, "a person follows themselves", "self-follow")
                continue
            if pair in pairs:
                self.conflict("followers", pair, "the same pair is in the source twice", "duplicate")
                continue
            pairs.add(pair)
            ours = (self.ids["user"][follower], self.ids["user"][followed])
            if None not in ours and ours in here:
                self.counts["Follows", "unchanged"] += 1
            else:
                self.counts["Follows", "created"] += 1
                self.follows.append(pair)

    def _write_follows(self) -> None:
        now = timezone.now()
        bar = self.progress(len(self.follows), "followers (write)")
        rows = ((self.ids["user"][a], self.ids["user"][b], now) for a, b in self.follows)
        BulkWriter(Follow, ["follower_id", "followed_id", "created_at"], progress=bar).write(rows)
        bar.close()
