"""Demo and volume data for `manage.py seed_db`.

Demo people are fixed and matched by username, so seeding twice changes nothing.
Volume data is drawn from pools made with Faker and written with the bulk writer (core.bulk).
"""

import random
from collections.abc import Callable, Iterable, Iterator
from datetime import timedelta
from itertools import count as count_from
from itertools import islice

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models.functions import Lower
from django.utils import timezone
from faker import Faker

from accounts.models import Follow, User
from core.bulk import BulkWriter
from organization.models import Designation, Unit
from posts.counting import posts_added
from posts.models import POST_MAX_LENGTH, Post

BATCH_SIZE = 5000  # rows per COPY or INSERT batch, and per username look-up
NAME_POOL = 300  # first names, last names and username stems drawn with Faker, then combined at random
YEAR = 365 * 24 * 3600
# The columns of a generated person; every other one gets its default (core.bulk fills them in).
USER_FIELDS = ("username", "email", "full_name", "about_me", "password", "unit", "department", "designation")
USER_FIELDS += ("date_joined",)

# username, full name, unit, designation, about me
DEMO_PEOPLE = [
    ("asha", "Asha Verma", "RPC Unit 1", "Professor", "Cornea and refractive surgery."),
    ("rahul", "Rahul Mehta", "RPC Unit 2", "Associate Professor", "Glaucoma clinic on Tuesdays."),
    ("meera", "Meera Nair", "RPC Unit 3", "Assistant Professor", "Retina, uveitis and a lot of coffee."),
    ("vikram", "Vikram Singh", "Ocular Anesthesia", "Additional Professor", "Regional blocks for eye surgery."),
    ("fatima", "Fatima Khan", "RPC Unit 4", "Senior Resident", "Paediatric ophthalmology."),
    ("john", "John Mathew", "RPC Unit 5", "Nursing Officer", "Operation theatre in-charge."),
]

DEMO_POSTS = [
    "Grand rounds moved to 9 am on Friday.",
    "New slit lamp installed in the outpatient block.",
    "Reminder: submit the monthly audit by the 5th.",
]

# (follower, followed)
DEMO_FOLLOWS = [
    ("asha", "rahul"),
    ("asha", "meera"),
    ("rahul", "asha"),
    ("meera", "asha"),
    ("meera", "vikram"),
    ("vikram", "asha"),
    ("fatima", "meera"),
    ("john", "asha"),
]

Progress = Callable[[int, str], object]  # (total, description) -> an object with update(n) and close()


@transaction.atomic
def demo_people_load(*, password: str | None = None, reset_password: bool = False) -> dict[str, int]:
    """Create the demo people with their posts and follows; return how many rows were created per model.

    `password` is set on people created now (without it they get an unusable password) and on demo people
    already there who have none usable; with `reset_password`, on every demo person ("Demo password" in the
    result: how many got it).
    """
    created = dict.fromkeys(["User", "Post", "Follow", "Demo password"], 0)
    units = {u.name: u for u in Unit.objects.filter(name__in=[p[2] for p in DEMO_PEOPLE])}
    designations = {d.name: d for d in Designation.objects.filter(name__in=[p[3] for p in DEMO_PEOPLE])}
    people = {}
    now = timezone.now()
    for index, (username, full_name, unit, designation, about_me) in enumerate(DEMO_PEOPLE):
        user, new = User.objects.get_or_create(
            username=username,
            defaults={
                "email": f"{username}@example.org",
                "full_name": full_name,
                "about_me": about_me,
                "unit": units[unit],
                "department": units[unit].department,
                "designation": designations[designation],
                "password": make_password(password),
            },
        )
        created["User"] += new
        if password is not None and not new and (reset_password or not user.has_usable_password()):
            user.set_password(password)
            user.save(update_fields=["password"])
            created["Demo password"] += 1
        people[username] = user
        for offset, body in enumerate(DEMO_POSTS):
            stamp = now - timedelta(hours=index * len(DEMO_POSTS) + offset)
            _, new = Post.objects.get_or_create(author=user, body=body, defaults={"timestamp": stamp})
            created["Post"] += new
    for follower, followed in DEMO_FOLLOWS:
        _, new = Follow.objects.get_or_create(follower=people[follower], followed=people[followed])
        created["Follow"] += new
    return created


def _batched(iterable: Iterable, size: int) -> Iterator[list]:
    iterator = iter(iterable)
    while batch := list(islice(iterator, size)):
        yield batch


def _text_pool(fake: Faker, size: int, max_chars: int) -> list[str]:
    """Sentences to draw post bodies from: Faker per row would dominate the run time."""
    return [fake.text(max_nb_chars=max_chars).replace("\n", " ")[:max_chars].strip() or "Hello" for _ in range(size)]


def _free_usernames(fake: Faker, rng: random.Random, count: int, start: int) -> list[str]:
    """`count` new usernames, neither they nor their address at example.org taken yet in any letter case.

    A stem from a pool (Faker's user_name costs 0.1 ms a call) without trailing digits, then a number from
    `start` on: distinct among themselves and from earlier runs' (lower numbers). The rare one taken by
    someone else gets `_` and its index (`_` and the attempt too if that is taken as well).
    """
    stems = sorted({fake.user_name().lower().rstrip("0123456789_") or "user" for _ in range(NAME_POOL)})
    generated = [f"{rng.choice(stems)}{start + i}" for i in range(count)]
    names = list(generated)
    pending = list(range(count))
    for attempt in count_from(1):
        taken = _taken([names[i] for i in pending])
        pending = [i for i in pending if names[i] in taken]
        if not pending:
            return names
        for i in pending:
            names[i] = f"{generated[i]}_{i}" if attempt == 1 else f"{generated[i]}_{i}_{attempt}"
    raise AssertionError("unreachable")


def _taken(names: list[str]) -> set[str]:
    """Those of `names` (lowercase) that are a username here, or whose address at example.org is an email."""
    taken: set[str] = set()
    for batch in _batched(names, BATCH_SIZE):
        people = User.objects.order_by().annotate(lower=Lower("username"))
        taken.update(people.filter(lower__in=batch).values_list("lower", flat=True))
        emails = User.objects.order_by().annotate(lower=Lower("email"))
        found = emails.filter(lower__in=[f"{name}@example.org" for name in batch]).values_list("lower", flat=True)
        taken.update(email.removesuffix("@example.org") for email in found)
    return taken


class _SilentProgress:
    def update(self, n=1):
        pass

    def close(self):
        pass


def _noop_progress(total: int, description: str) -> _SilentProgress:
    return _SilentProgress()


@transaction.atomic
def volume_generate(
    *,
    users: int,
    posts_per_user: int,
    follows_per_user: int,
    seed: int = 0,
    password: str | None = None,
    progress: Progress = _noop_progress,
) -> dict[str, int]:
    """Generate `users` people, each with `posts_per_user` posts and `follows_per_user` follows among them.

    All in one transaction: an error (or a kill) leaves the database as it was. Written with the bulk writer
    (core.bulk: COPY on PostgreSQL), from tuples; names and texts are drawn from pools made with Faker.
    """
    if follows_per_user > max(users - 1, 0):
        raise ValueError(f"Each of {users} users can follow at most {max(users - 1, 0)} others.")
    rng = random.Random(seed)
    fake = Faker()
    fake.seed_instance(seed)
    units = list(Unit.objects.order_by("pk").values_list("pk", "department_id")) or [(None, None)]
    designations = list(Designation.objects.order_by("pk").values_list("pk", flat=True)) or [None]
    # One hash for everyone: hashing 10,000 passwords would take minutes and prove nothing.
    password_hash = make_password(password)
    abouts = _text_pool(fake, 200, 140)
    bodies = _text_pool(fake, 1000, POST_MAX_LENGTH)
    first_names = [fake.first_name() for _ in range(NAME_POOL)]
    last_names = [fake.last_name() for _ in range(NAME_POOL)]
    start = (User.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    now = timezone.now()
    choice = rng.choice

    people = (
        (
            username,
            f"{username}@example.org",
            f"{choice(first_names)} {choice(last_names)}"[:100],
            choice(abouts),
            password_hash,
            *choice(units),
            choice(designations),
            now,
        )
        for username in _free_usernames(fake, rng, users, start)
    )
    new_ids = _write(User, USER_FIELDS, people, users, progress, "users", with_ids=True)

    def posts():
        # Drawn per author: two calls for a person's posts rather than two per post.
        for author_id in new_ids:
            offsets = rng.choices(range(YEAR), k=posts_per_user)
            for body, offset in zip(rng.choices(bodies, k=posts_per_user), offsets, strict=True):
                yield body, now - timedelta(seconds=offset), author_id

    def follows():
        for follower_id in new_ids:
            # K + 1 distinct picks always hold K that are not the follower.
            picks = [f for f in rng.sample(new_ids, follows_per_user + 1) if f != follower_id]
            for followed_id in picks[:follows_per_user]:
                yield follower_id, followed_id, now

    post_total, follow_total = len(new_ids) * posts_per_user, len(new_ids) * follows_per_user
    written_posts = _write(Post, ("body", "timestamp", "author"), posts(), post_total, progress, "posts")
    posts_added(written_posts)  # the bulk writer sends no model signals (posts.counting)
    return {
        "User": len(new_ids),
        "Post": written_posts,
        "Follow": _write(Follow, ("follower", "followed", "created_at"), follows(), follow_total, progress, "follows"),
    }


def _write(model, fields, rows: Iterable, total: int, progress: Progress, description: str, *, with_ids=False):
    """Insert `rows` (tuples of `fields`) with the bulk writer, under a progress bar; their number or ids."""
    bar = progress(total, description)
    try:
        return BulkWriter(model, fields, batch_size=BATCH_SIZE, progress=bar).write(rows, with_ids=with_ids)
    finally:
        bar.close()
