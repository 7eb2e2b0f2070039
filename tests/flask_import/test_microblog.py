"""`import_flask microblog`: people, posts, follows and messages of the Flask microblog."""

import datetime

import pytest
from rest_framework.authtoken.models import Token

from accounts.models import Follow, User
from posts.models import Message, Post
from tests.factories import UserFactory
from tests.flask_import.helpers import counts, import_flask, snapshot
from tests.flask_import.sources import naive, realistic_microblog, utc, werkzeug_hash


def imported(microblog, *options):
    run = import_flask("microblog", microblog.url, *options)
    assert run.returncode == 0, run
    return run


def test_people_posts_follows_and_messages_are_imported(microblog):
    realistic_microblog(microblog)

    imported(microblog)

    people = {user.username: user for user in User.objects.all()}
    assert set(people) == {"susan", "john", "david", "mary"}
    susan, john, david, mary = (people[name] for name in ("susan", "john", "david", "mary"))
    assert (susan.email, susan.about_me) == ("susan@example.com", "I like cats and long walks.")
    assert (john.about_me, mary.about_me) == ("", "")  # NULL and empty both become ""
    assert david.email == "David.Smith@example.com"
    assert mary.last_seen is None
    assert all(person.is_active for person in people.values())

    posts = {(post.author.username, post.body) for post in Post.objects.select_related("author")}
    assert posts == {
        ("susan", "My first post!"),
        ("susan", "Hola a todos"),
        ("john", "Nice day today."),
        ("david", "x" * 140),
        ("mary", "Ünïcödé and emoji 🐈"),
    }
    follows = {
        (f.follower.username, f.followed.username) for f in Follow.objects.select_related("follower", "followed")
    }
    assert follows == {("susan", "john"), ("john", "susan"), ("david", "susan"), ("mary", "david")}
    assert list(susan.followers.order_by("username").values_list("username", flat=True)) == ["david", "john"]
    messages = {(m.sender.username, m.recipient.username, m.body) for m in Message.objects.select_related()}
    assert messages == {("john", "susan", "Hi Susan, lunch?"), ("susan", "john", "Sure!")}


def test_naive_source_timestamps_are_utc(microblog):
    realistic_microblog(microblog)

    imported(microblog)

    susan = User.objects.get(username="susan")
    assert susan.last_seen == utc(2024, 3, 5, 17, 45, 12, 345678)
    assert susan.last_message_read_time == utc(2024, 3, 4, 8, 0, 1, 500000)
    timestamps = {post.body: post.timestamp for post in Post.objects.all()}
    assert timestamps["My first post!"] == utc(2024, 3, 1, 10, 0, 0, 1)
    assert timestamps["Nice day today."] == utc(2024, 3, 2, 9, 15, 30, 250000)
    assert timestamps["x" * 140] == utc(2024, 3, 3, 23, 59, 59, 999999)
    assert Message.objects.get(body="Hi Susan, lunch?").timestamp == utc(2024, 3, 2, 12, 0, 0, 120000)


@pytest.mark.parametrize(
    ("stored", "expected_prefix"),
    [
        (werkzeug_hash("pw", "scrypt"), "werkzeug_scrypt$"),
        (werkzeug_hash("pw", "scrypt:16384:8:1"), "werkzeug_scrypt$"),
        (werkzeug_hash("pw", "pbkdf2:sha256:1000"), "werkzeug_pbkdf2$"),
        (werkzeug_hash("pw", "pbkdf2:sha512:2000"), "werkzeug_pbkdf2$"),
    ],
    ids=["scrypt-default", "scrypt-16384", "pbkdf2-sha256", "pbkdf2-sha512"],
)
def test_werkzeug_hashes_are_kept_behind_a_prefix(microblog, stored, expected_prefix):
    microblog.user("susan", password_hash=stored)

    imported(microblog)

    assert User.objects.get(username="susan").password == expected_prefix + stored


@pytest.mark.parametrize(
    "stored",
    [
        None,
        "",
        "not a hash",
        "md5$salt$0123456789abcdef0123456789abcdef",
        "sha1$abc$0123456789abcdef0123456789abcdef01234567",  # Werkzeug < 2.3's old default, never in this schema
        "pbkdf2:sha256$salt$abc",  # parameters missing
    ],
    ids=["null", "empty", "text", "md5", "werkzeug-sha1", "pbkdf2-without-iterations"],
)
def test_a_missing_or_unrecognised_hash_gives_an_unusable_password(microblog, stored):
    microblog.user("susan", password_hash=stored)

    run = imported(microblog)

    susan = User.objects.get(username="susan")
    assert not susan.has_usable_password()
    if stored:
        assert stored not in susan.password
    assert run.conflicts == []  # not a conflict: the person is imported, and resets the password


def test_tokens_notifications_and_tasks_are_not_imported(microblog):
    realistic_microblog(microblog)  # susan has an API token, a notification and a task
    source_token = "0123456789abcdef0123456789abcdef"

    imported(microblog)

    susan = User.objects.get(username="susan")
    assert not Token.objects.filter(user=susan).exists()
    assert not Token.objects.filter(key=source_token).exists()
    assert source_token not in str(list(User.objects.filter(pk=susan.pk).values()))


def test_the_source_is_only_read(microblog):
    realistic_microblog(microblog)
    tables = ("user", "post", "followers", "message", "notification", "task", "alembic_version")
    before = {table: microblog.execute(f"SELECT * FROM {microblog.quote(table)}").fetchall() for table in tables}

    imported(microblog)

    after = {table: microblog.execute(f"SELECT * FROM {microblog.quote(table)}").fetchall() for table in tables}
    assert after == before


def test_people_created_by_the_import_have_history_that_says_so(microblog):
    realistic_microblog(microblog)

    imported(microblog)

    for person in User.objects.all():
        first = person.history.order_by("history_id").first()
        assert first is not None, f"{person} has no history"
        assert first.history_type == "+"
        assert "import_flask" in (first.history_change_reason or ""), first.history_change_reason


def test_dry_run_writes_nothing(microblog):
    realistic_microblog(microblog)
    before = counts()

    run = import_flask("microblog", microblog.url, "--dry-run")

    assert run.returncode == 0, run
    assert counts() == before


def test_a_second_run_changes_nothing_and_says_so(microblog):
    realistic_microblog(microblog)
    first = imported(microblog)
    assert not first.says_nothing_to_change
    after_first = snapshot()

    second = imported(microblog)

    assert snapshot() == after_first
    assert second.says_nothing_to_change, second


def test_a_second_run_brings_what_changed_in_the_source(microblog):
    ids = realistic_microblog(microblog)
    imported(microblog)
    susan_pk = User.objects.get(username="susan").pk
    microblog.execute("UPDATE post SET body = %s WHERE id = %s", ("My first post, edited", ids["posts"][0]))
    microblog.execute(f"UPDATE {microblog.quote('user')} SET about_me = %s WHERE id = %s", ("Dogs too.", ids["susan"]))
    microblog.post(ids["john"], "A new one", naive(2024, 4, 1, 8, 0, 0))

    run = imported(microblog)

    assert not run.says_nothing_to_change
    susan = User.objects.get(pk=susan_pk)
    assert susan.about_me == "Dogs too."
    assert Post.objects.filter(body="My first post, edited", author=susan).count() == 1
    assert not Post.objects.filter(body="My first post!").exists()
    assert Post.objects.count() == 6
    assert User.objects.count() == 4


def test_a_renamed_source_person_is_found_again_by_the_import_map(microblog):
    ids = realistic_microblog(microblog)
    imported(microblog)
    john_pk = User.objects.get(username="john").pk
    microblog.execute(
        f"UPDATE {microblog.quote('user')} SET username = %s, email = %s WHERE id = %s",
        ("johnny", "johnny@example.com", ids["john"]),
    )

    imported(microblog)

    john = User.objects.get(pk=john_pk)
    assert (john.username, john.email) == ("johnny", "johnny@example.com")
    assert User.objects.count() == 4
    assert john.posts.count() == 1


@pytest.mark.parametrize(
    ("here", "source"),
    [
        ({"username": "SUSAN", "email": "someone.else@example.net"}, ("susan", "susan@example.com")),
        ({"username": "suzie", "email": "Susan@Example.COM"}, ("susan", "susan@example.com")),
        ({"username": "Susan", "email": "SUSAN@example.com"}, ("susan", "susan@example.com")),
    ],
    ids=["by-username", "by-email", "by-both"],
)
def test_a_person_already_here_is_updated_not_duplicated(microblog, here, source):
    already = UserFactory(**here)
    microblog.user(*source, about_me="From the microblog.")

    imported(microblog)

    assert User.objects.count() == 1
    person = User.objects.get()
    assert person.pk == already.pk
    assert person.about_me == "From the microblog."


def test_an_imported_post_keeps_its_timestamp_even_when_the_time_zone_here_is_not_utc(microblog, settings):
    settings.TIME_ZONE = "Asia/Kolkata"
    susan = microblog.user("susan")
    microblog.post(susan, "Late at night", naive(2024, 3, 1, 23, 30, 0))

    imported(microblog)

    assert Post.objects.get().timestamp == datetime.datetime(2024, 3, 1, 23, 30, tzinfo=datetime.UTC)


def test_a_microblog_of_an_earlier_chapter_without_tasks_and_tokens(microblog):
    """The tables and columns the import leaves behind may be missing (the app before chapters 22 and 23)."""
    realistic_microblog(microblog)
    microblog.drop_table("task")
    microblog.drop_table("notification")
    if microblog.engine == "sqlite":
        microblog.execute("DROP INDEX ix_user_token")  # SQLite cannot drop an indexed column
    microblog.drop_column("user", "token")
    microblog.drop_column("user", "token_expiration")

    imported(microblog)

    assert User.objects.count() == 4 and Post.objects.count() == 5


def test_a_person_deleted_here_since_the_first_import_comes_back(microblog):
    realistic_microblog(microblog)
    imported(microblog)
    User.objects.get(username="susan").delete()  # and with her, her posts, follows and messages

    run = imported(microblog)

    susan = User.objects.get(username="susan")
    assert susan.posts.count() == 2
    assert set(susan.followers.values_list("username", flat=True)) == {"john", "david"}
    assert Message.objects.filter(recipient=susan).count() == 1
    assert not run.says_nothing_to_change


def test_a_post_deleted_here_since_the_first_import_does_not_break_a_second_run(microblog):
    realistic_microblog(microblog)
    imported(microblog)
    Post.objects.get(body="Nice day today.").delete()

    imported(microblog)

    assert Post.objects.filter(body="Nice day today.").count() <= 1
    assert Post.objects.count() in (4, 5)
