"""Demo and volume data for `manage.py seed_db`.

Demo people are fixed and matched by username, so seeding twice changes nothing.
Volume data is generated with Faker and written in batches with `bulk_create`.
"""

import random
from collections.abc import Callable, Iterable, Iterator
from datetime import timedelta
from itertools import islice

from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.db.models.functions import Lower
from django.utils import timezone
from faker import Faker

from accounts.models import Follow, User
from organization.models import Designation, Unit
from posts.models import POST_MAX_LENGTH, Post

BATCH_SIZE = 2000

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


def _free_usernames(fake: Faker, count: int, start: int) -> list[str]:
    """`count` new usernames not yet taken in any letter case."""
    names = [f"{fake.user_name()}{start + i}".lower()[:150] for i in range(count)]
    taken = set()
    for batch in _batched(names, BATCH_SIZE):
        taken.update(
            User.objects.annotate(lower=Lower("username")).filter(lower__in=batch).values_list("lower", flat=True)
        )
    return [f"{name}_{i}" if name in taken else name for i, name in enumerate(names)]


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

    All in one transaction: an error (or a kill) leaves the database as it was.
    """
    if follows_per_user > max(users - 1, 0):
        raise ValueError(f"Each of {users} users can follow at most {max(users - 1, 0)} others.")
    rng = random.Random(seed)
    fake = Faker()
    fake.seed_instance(seed)
    units = list(Unit.objects.values_list("pk", "department_id"))
    designations = list(Designation.objects.values_list("pk", flat=True))
    # One hash for everyone: hashing 10,000 passwords would take minutes and prove nothing.
    password_hash = make_password(password)
    abouts = _text_pool(fake, 200, 140)
    bodies = _text_pool(fake, 1000, POST_MAX_LENGTH)
    start = (User.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    now = timezone.now()

    new_ids: list[int] = []
    bar = progress(users, "users")
    for batch in _batched(_free_usernames(fake, users, start), BATCH_SIZE):
        rows = []
        for username in batch:
            unit_id, department_id = rng.choice(units) if units else (None, None)
            rows.append(
                User(
                    username=username,
                    email=f"{username}@example.org",
                    full_name=fake.name()[:100],
                    about_me=rng.choice(abouts),
                    password=password_hash,
                    unit_id=unit_id,
                    department_id=department_id,
                    designation_id=rng.choice(designations) if designations else None,
                    date_joined=now,
                )
            )
        new_ids.extend(u.pk for u in User.objects.bulk_create(rows, batch_size=BATCH_SIZE))
        bar.update(len(batch))
    bar.close()

    year = 365 * 24 * 3600
    posts = (
        Post(author_id=author_id, body=rng.choice(bodies), timestamp=now - timedelta(seconds=rng.randrange(year)))
        for author_id in new_ids
        for _ in range(posts_per_user)
    )

    def follows():
        for follower_id in new_ids:
            # K + 1 distinct picks always hold K that are not the follower.
            picks = [f for f in rng.sample(new_ids, follows_per_user + 1) if f != follower_id]
            for followed_id in picks[:follows_per_user]:
                yield Follow(follower_id=follower_id, followed_id=followed_id)

    return {
        "User": len(new_ids),
        "Post": _write(Post, posts, len(new_ids) * posts_per_user, progress, "posts"),
        "Follow": _write(Follow, follows(), len(new_ids) * follows_per_user, progress, "follows"),
    }


def _write(model, rows: Iterable, total: int, progress: Progress, description: str) -> int:
    """Insert `rows` (unsaved instances) in batches: COPY on PostgreSQL, bulk_create elsewhere."""
    bar = progress(total, description)
    insert = _copy if connection.vendor == "postgresql" else _bulk_create
    written = 0
    for batch in _batched(rows, BATCH_SIZE * 2):
        insert(model, batch)
        written += len(batch)
        bar.update(len(batch))
    bar.close()
    return written


def _bulk_create(model, batch: list) -> None:
    model.objects.bulk_create(batch, batch_size=len(batch))


def _copy(model, batch: list) -> None:
    """PostgreSQL's COPY: several times faster than INSERT for millions of rows (same transaction)."""
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor, cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        for obj in batch:
            # pre_save gives the value to store, filling auto_now_add and friends as bulk_create would.
            copy.write_row([f.pre_save(obj, add=True) for f in fields])
