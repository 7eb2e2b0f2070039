"""A microblog of some size: 50 people, 6,000 posts, 400 follows and 400 messages, in a few seconds."""

import random
import time

from accounts.models import Follow, User
from posts.models import Message, Post
from tests.flask_import.helpers import import_flask
from tests.flask_import.sources import naive, werkzeug_hash

PEOPLE, POSTS, FOLLOWS, MESSAGES = 50, 6000, 400, 400  # posts: more than one batch of core.bulk (5,000)


def test_a_larger_microblog(microblog):
    chance = random.Random(20240301)
    password_hash = werkzeug_hash()  # one hash for all: the salt makes no difference to the import
    microblog.insert_many(
        "user",
        ("id", "username", "email", "password_hash", "about_me", "last_seen"),
        [
            (n, f"user{n}", f"user{n}@example.com", password_hash, f"About {n}", naive(2024, 1, 1 + n % 28, 12, 0))
            for n in range(1, PEOPLE + 1)
        ],
    )
    microblog.insert_many(
        "post",
        ("id", "body", "timestamp", "user_id", "language"),
        [
            (
                n,
                f"Post number {n}" + " words" * chance.randint(0, 20),
                naive(2024, 2, 1 + n % 28, n % 24, n % 60, 0, n),
                chance.randint(1, PEOPLE),
                chance.choice(["en", "es", None]),
            )
            for n in range(1, POSTS + 1)
        ],
    )
    pairs = set()
    while len(pairs) < FOLLOWS:
        follower, followed = chance.randint(1, PEOPLE), chance.randint(1, PEOPLE)
        if follower != followed:
            pairs.add((follower, followed))
    microblog.insert_many("followers", ("follower_id", "followed_id"), sorted(pairs))
    microblog.insert_many(
        "message",
        ("id", "sender_id", "recipient_id", "body", "timestamp"),
        [
            (n, 1 + n % PEOPLE, 1 + (n + 7) % PEOPLE, f"Message {n}", naive(2024, 3, 1, 0, 0, n % 60))
            for n in range(1, MESSAGES + 1)
        ],
    )
    if microblog.engine == "postgresql":  # explicit ids: move the sequences on, as a real database's would be
        for table in ("user", "post", "message"):
            microblog.execute(
                f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), (SELECT MAX(id) FROM \"{table}\"))"
            )

    started = time.monotonic()
    run = import_flask("microblog", microblog.url)
    took = time.monotonic() - started

    assert run.returncode == 0, run
    assert User.objects.count() == PEOPLE
    assert Post.objects.count() == POSTS
    assert Follow.objects.count() == FOLLOWS
    assert Message.objects.count() == MESSAGES
    assert (
        Post.objects.filter(author__username="user7").count()
        == microblog.execute("SELECT COUNT(*) FROM post WHERE user_id = 7").fetchone()[0]
    )
    print(f"imported {PEOPLE} people, {POSTS} posts, {FOLLOWS} follows, {MESSAGES} messages in {took:.1f} s")
    again = import_flask("microblog", microblog.url)
    assert again.says_nothing_to_change, again
