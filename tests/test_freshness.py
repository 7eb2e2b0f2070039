"""Every write shows at once in every cached read (core.caching): no read serves a value a write replaced.

Each test reads (which fills the shared cache) and checks that it sees the old value, writes by one of the
project's write paths (the API, the pages, the admin, a spreadsheet import, a command, the last-seen
middleware), then reads again through fresh clients (never the writer's) and checks the new value.

People here are "seen just now" (last_seen), so that no request of theirs writes last_seen: that write bumps
the person's scope and the lists of people, and would hide a write path that forgets to.
"""

import io
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from html import unescape

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.forms import MultiWidget
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.models import Follow, User
from accounts.services import PROFILE_FIELDS
from core import caching
from organization.models import Department, Designation, Unit
from posts.models import Post
from tests.admin_import.helpers import imported
from tests.factories import DepartmentFactory, DesignationFactory, FollowFactory, PostFactory, UnitFactory, UserFactory

pytestmark = pytest.mark.django_db
committing = pytest.mark.django_db(transaction=True)  # real commits: the bump at commit time runs


# --- Clients: a new one for every request -------------------------------------------------------------------


def person(**fields) -> User:
    """A person seen just now: their own requests write no last_seen (which would invalidate on its own)."""
    return UserFactory(last_seen=timezone.now(), **fields)


def api_as(user: User | None = None) -> APIClient:
    """A new API client, anonymous or with `user`'s token."""
    client = APIClient()
    if user is not None:
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def pages_as(user: User | None = None) -> Client:
    """A new browser, anonymous or signed in as `user`."""
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def expect(response, status: int):
    assert response.status_code == status, (response.status_code, response.content[:2000])
    return response


def get_json(client, url: str) -> dict:
    return expect(client.get(url), 200).json()


def get_html(client, url: str) -> str:
    return expect(client.get(url), 200).content.decode()


def status_of(client, url: str) -> int:
    return client.get(url).status_code


# --- Reads --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Card:
    """What a post card of a page shows."""

    body: str
    author: str
    time: datetime


ARTICLE = re.compile(r'<article class="[^"]*\bpost\b[^"]*">(.*?)</article>', re.S)
CARD_AUTHOR = re.compile(r'class="user-popup fw-semibold"[^>]*>([^<]*)</a>')
CARD_BODY = re.compile(r'class="mb-0 post-body">(.*?)</p>', re.S)
CARD_TIME = re.compile(r'<time datetime="([^"]+)"')


def cards(html: str) -> list[Card]:
    return [
        Card(
            body=unescape(CARD_BODY.search(article).group(1)),
            author=unescape(CARD_AUTHOR.search(article).group(1)),
            time=datetime.fromisoformat(CARD_TIME.search(article).group(1)),
        )
        for article in ARTICLE.findall(html)
    ]


def user_url(user: User) -> str:
    return f"/api/users/{user.pk}/"


def profile_url(user: User) -> str:
    """The profile page under the person's current username."""
    return reverse("profile", args=[User.objects.values_list("username", flat=True).get(pk=user.pk)])


def person_api(user: User, viewer: User | None = None) -> dict:
    """/api/users/<id>/ as someone else sees it (cached for everyone but the person and staff)."""
    return get_json(api_as(viewer), user_url(user))


def listed(user: User, viewer: User | None = None) -> dict:
    """The person's row in /api/users/ (all on one page)."""
    rows = get_json(api_as(viewer), "/api/users/?page_size=100")["results"]
    return next(row for row in rows if row["id"] == user.pk)


def posts_api(viewer: User | None = None) -> list[dict]:
    return get_json(api_as(viewer), "/api/posts/")["results"]


def feed_api(viewer: User) -> list[dict]:
    return get_json(api_as(viewer), "/api/feed/")["results"]


def explore_cards() -> list[Card]:
    return cards(get_html(pages_as(), "/explore/"))


def feed_cards(viewer: User) -> list[Card]:
    return cards(get_html(pages_as(viewer), "/"))


def profile_cards(user: User) -> list[Card]:
    return cards(get_html(pages_as(), profile_url(user)))


def bodies(posts: list[dict] | list[Card]) -> list[str]:
    return [post.body if isinstance(post, Card) else post["body"] for post in posts]


def authors(posts: list[dict] | list[Card]) -> list[str]:
    return [post.author if isinstance(post, Card) else post["author"]["username"] for post in posts]


Reads = dict[str, Callable[[], object]]  # a name for the failure message → what that read shows now


def every(reads: Reads, value) -> dict:
    """`value` for every read (never changed: one object will do)."""
    return dict.fromkeys(reads, value)


def check_fresh(reads: Reads, before: dict, write: Callable[[], object], after: dict | Callable) -> None:
    """Every read shows `before` (and is cached now); `write()`; every read shows `after` at once.

    `after` may be a function of what `write()` returned. A failure names every stale read.
    """
    shown = {name: read() for name, read in reads.items()}
    assert shown == before, "the reads before the write"
    result = write()
    expected = after(result) if callable(after) else after
    shown = {name: read() for name, read in reads.items()}
    stale = {
        name: {"shown": shown[name], "expected": expected[name]} for name in reads if shown[name] != expected[name]
    }
    assert not stale, f"stale after the write: {stale}"


# --- The admin, as a browser posts its forms ----------------------------------------------------------------


def admin_url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def _form_data(form) -> dict:
    """What `form` posts back unchanged."""
    data = {}
    for name, field in form.fields.items():
        value = form[name].value()
        if field.disabled or value is None or value is False:
            continue
        key = form.add_prefix(name)
        if isinstance(field.widget, MultiWidget):  # a split date and time
            data |= {f"{key}_{i}": str(part) for i, part in enumerate(field.widget.decompress(value))}
        else:
            data[key] = "on" if value is True else value
    return data


def change_in_admin(client: Client, obj, *, unset: tuple[str, ...] = (), **changes) -> None:
    """Post `obj`'s admin change form (and its inlines) as shown, with `changes` and without the fields `unset`."""
    url = admin_url(type(obj), "change", obj.pk)
    response = expect(client.get(url), 200)
    data = _form_data(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        data |= _form_data(inline.formset.management_form)
        for form in inline.formset.forms:
            data |= _form_data(form)
    data = {name: value for name, value in (data | changes).items() if name not in unset}
    response = client.post(url, data)
    assert response.status_code == 302, response.context and response.context["errors"]


def add_in_admin(client: Client, model, data: dict) -> None:
    response = client.post(admin_url(model, "add"), data)
    assert response.status_code == 302, response.context and response.context["errors"]


def delete_in_admin(client: Client, obj) -> None:
    expect(client.post(admin_url(type(obj), "delete", obj.pk), {"post": "yes"}), 302)


def delete_selected_in_admin(client: Client, *objs) -> None:
    """The changelist's "Delete selected" action, confirmed."""
    data = {"action": "delete_selected", "_selected_action": [obj.pk for obj in objs], "post": "yes"}
    expect(client.post(admin_url(type(objs[0]), "changelist"), data), 302)


# --- Commits ------------------------------------------------------------------------------------------------


@pytest.fixture
def readers_racing_the_commit(monkeypatch):
    """Readers that read between a write and its commit: only the bump at commit can make reads fresh.

    A reader in another process that sees the version bumped inside the write's transaction still reads the
    old rows (uncommitted changes are invisible to it) and caches them under that version. Dropping every
    bump made inside a transaction has the same effect: what was cached before the write stays current
    until the bump at commit (transaction.on_commit), which alone must make the next read fresh. (A write
    made outside any transaction, in autocommit, is bumped after its commit right away.)
    """
    bump = caching._bump

    def bump_outside_transactions(scopes):
        if not transaction.get_connection().in_atomic_block:
            bump(scopes)

    monkeypatch.setattr(caching, "_bump", bump_outside_transactions)
    # Scopes left pending by earlier tests (their transactions rolled back) would be bumped with this test's
    # first commit and could make a read fresh that the write under test forgot.
    monkeypatch.setattr(caching, "_pending", threading.local())


# --- Posts: create, edit, delete ----------------------------------------------------------------------------


@dataclass
class Posting:
    author: User
    follower: User  # follows the author
    viewer: User  # someone else, signed in
    admin: User
    post: Post  # "first post", the author's


@pytest.fixture
def posting(admin_user) -> Posting:
    author, follower, viewer = person(username="author"), person(username="follower"), person(username="viewer")
    FollowFactory(follower=follower, followed=author)
    return Posting(author, follower, viewer, admin_user, PostFactory(author=author, body="first post"))


def post_reads(w: Posting) -> Reads:
    return {
        "/api/posts/": lambda: bodies(posts_api()),
        "/api/posts/ (signed in)": lambda: bodies(posts_api(w.viewer)),
        "/api/feed/ of a follower": lambda: bodies(feed_api(w.follower)),
        "feed page of a follower": lambda: bodies(feed_cards(w.follower)),
        "/explore/": lambda: bodies(explore_cards()),
        "the author's profile page": lambda: bodies(profile_cards(w.author)),
        "post_count in /api/users/<author>/": lambda: person_api(w.author, w.viewer)["post_count"],
        "post_count in /api/users/": lambda: listed(w.author)["post_count"],
    }


def posts_shown(reads: Reads, shown: tuple[str, ...]) -> dict:
    """What each post read shows when the author's posts are `shown` (newest first): the bodies, or a count."""
    return {name: len(shown) if name.startswith("post_count") else list(shown) for name in reads}


def create_post_by_api(w: Posting) -> tuple[str, ...]:
    expect(api_as(w.author).post("/api/posts/", {"body": "second post"}, format="json"), 201)
    return ("second post", "first post")


def edit_post_by_api(w: Posting) -> tuple[str, ...]:
    expect(api_as(w.author).patch(f"/api/posts/{w.post.pk}/", {"body": "edited post"}, format="json"), 200)
    return ("edited post",)


def delete_post_by_api(w: Posting) -> tuple[str, ...]:
    expect(api_as(w.author).delete(f"/api/posts/{w.post.pk}/"), 204)
    return ()


def create_post_on_the_feed_page(w: Posting) -> tuple[str, ...]:
    expect(pages_as(w.author).post("/", {"body": "second post"}), 302)
    return ("second post", "first post")


def edit_post_in_the_admin(w: Posting) -> tuple[str, ...]:
    change_in_admin(pages_as(w.admin), w.post, body="edited post")
    return ("edited post",)


def delete_post_in_the_admin(w: Posting) -> tuple[str, ...]:
    delete_in_admin(pages_as(w.admin), w.post)
    return ()


def delete_selected_posts_in_the_admin(w: Posting) -> tuple[str, ...]:
    delete_selected_in_admin(pages_as(w.admin), w.post)
    return ()


POST_WRITES = [
    create_post_by_api,
    edit_post_by_api,
    delete_post_by_api,
    create_post_on_the_feed_page,
    edit_post_in_the_admin,
    delete_post_in_the_admin,
    delete_selected_posts_in_the_admin,
]


def check_post_write(w: Posting, write: Callable[[Posting], tuple[str, ...]]) -> None:
    reads = post_reads(w)
    check_fresh(reads, posts_shown(reads, ("first post",)), lambda: write(w), lambda shown: posts_shown(reads, shown))


@pytest.mark.parametrize("write", POST_WRITES, ids=lambda write: write.__name__)
def test_a_post_written_shows_at_once_in_lists_feeds_pages_and_post_counts(posting, write):
    check_post_write(posting, write)


@committing
def test_new_post_by_api_shows_in_followers_feed_and_everywhere_after_commit(posting, readers_racing_the_commit):
    check_post_write(posting, create_post_by_api)


@committing
def test_post_deleted_by_api_leaves_every_read_after_commit(posting, readers_racing_the_commit):
    check_post_write(posting, delete_post_by_api)


@committing
def test_post_deleted_in_the_admin_leaves_every_read_after_commit(posting, readers_racing_the_commit):
    check_post_write(posting, delete_post_in_the_admin)


def test_a_post_redated_in_the_admin_shows_its_new_time_at_once(posting):
    """The admin may change a post's timestamp: the API and every page's card show the new time."""
    w = posting
    reads = {
        "/api/posts/": lambda: datetime.fromisoformat(posts_api()[0]["timestamp"]),
        "/api/feed/ of a follower": lambda: datetime.fromisoformat(feed_api(w.follower)[0]["timestamp"]),
        "feed page of a follower": lambda: feed_cards(w.follower)[0].time,
        "/explore/": lambda: explore_cards()[0].time,
        "the author's profile page": lambda: profile_cards(w.author)[0].time,
    }
    redate = {"timestamp_0": "2020-06-01", "timestamp_1": "12:00:00"}
    check_fresh(
        reads,
        every(reads, w.post.timestamp),
        lambda: change_in_admin(pages_as(w.admin), w.post, **redate),
        every(reads, datetime(2020, 6, 1, 12, 0, tzinfo=UTC)),
    )


def test_a_post_given_to_another_author_in_the_admin_leaves_the_old_authors_reads_at_once(posting):
    """The admin may change a post's author: both authors' counts and profile pages follow, and the lists."""
    w, other = posting, person(username="other")
    reads = {
        "post_count in /api/users/<old author>/": lambda: person_api(w.author, w.viewer)["post_count"],
        "post_count in /api/users/<new author>/": lambda: person_api(other, w.viewer)["post_count"],
        "post_count of the old author in /api/users/": lambda: listed(w.author)["post_count"],
        "the old author's profile page": lambda: bodies(profile_cards(w.author)),
        "the new author's profile page": lambda: bodies(profile_cards(other)),
        "author in /api/posts/": lambda: authors(posts_api()),
        "author on /explore/": lambda: authors(explore_cards()),
        "/api/feed/ of the old author's follower": lambda: bodies(feed_api(w.follower)),
    }
    before = [1, 0, 1, ["first post"], [], ["author"], ["author"], ["first post"]]
    after = [0, 1, 0, [], ["first post"], ["other"], ["other"], []]
    check_fresh(
        reads,
        dict(zip(reads, before, strict=True)),
        lambda: change_in_admin(pages_as(w.admin), w.post, author=other.pk),
        dict(zip(reads, after, strict=True)),
    )


def test_deleting_a_person_in_the_admin_removes_their_posts_and_follows_at_once(posting):
    w = posting
    reads = {
        "/api/posts/": lambda: bodies(posts_api()),
        "/api/feed/ of a follower": lambda: bodies(feed_api(w.follower)),
        "/explore/": lambda: bodies(explore_cards()),
        "following_count in /api/users/<follower>/": lambda: person_api(w.follower, w.viewer)["following_count"],
        "following_count of the follower in /api/users/": lambda: listed(w.follower)["following_count"],
        "/api/users/<deleted>/": lambda: status_of(api_as(w.viewer), user_url(w.author)),
    }
    before = [["first post"], ["first post"], ["first post"], 1, 1, 200]
    after = [[], [], [], 0, 0, 404]
    check_fresh(
        reads,
        dict(zip(reads, before, strict=True)),
        lambda: delete_in_admin(pages_as(w.admin), w.author),
        dict(zip(reads, after, strict=True)),
    )


# --- Follows: follow and unfollow ---------------------------------------------------------------------------


@dataclass
class Following:
    follower: User  # "alice", who follows (or will follow) bob
    followed: User  # "bob"
    viewer: User  # "carol", someone else, signed in
    admin: User


@pytest.fixture
def following(admin_user) -> Following:
    alice, bob, carol = person(username="alice"), person(username="bob"), person(username="carol")
    PostFactory(author=alice, body="alice's post")
    PostFactory(author=bob, body="bob's post")
    return Following(alice, bob, carol, admin_user)


def follower_count(user: User, viewer: User) -> int:
    return person_api(user, viewer)["follower_count"]


def following_count(user: User, viewer: User) -> int:
    return person_api(user, viewer)["following_count"]


def follow_reads(w: Following) -> Reads:
    """Each read: whether it shows alice following bob."""
    return {
        "follower_count in /api/users/<followed>/": lambda: follower_count(w.followed, w.viewer) == 1,
        "follower_count of the followed in /api/users/": lambda: listed(w.followed)["follower_count"] == 1,
        "following_count in /api/users/<follower>/": lambda: following_count(w.follower, w.viewer) == 1,
        "following_count of the follower in /api/users/": lambda: listed(w.follower)["following_count"] == 1,
        "following_count in /api/users/ seen by the follower": lambda: (
            listed(w.follower, w.follower)["following_count"] == 1
        ),
        "/api/feed/ of the follower": lambda: "bob's post" in bodies(feed_api(w.follower)),
        "feed page of the follower": lambda: "bob's post" in bodies(feed_cards(w.follower)),
        "follower_count on the followed's profile page": lambda: (
            '<strong class="follower-count">1</strong>' in get_html(pages_as(w.viewer), profile_url(w.followed))
        ),
    }


def follow_by_api(w: Following) -> None:
    expect(api_as(w.follower).post(f"/api/users/{w.followed.pk}/follow/"), 201)


def follow_with_the_button(w: Following) -> None:
    expect(pages_as(w.follower).post(reverse("follow", args=[w.followed.username])), 302)


def follow_added_in_the_admin(w: Following) -> None:
    add_in_admin(pages_as(w.admin), Follow, {"follower": w.follower.pk, "followed": w.followed.pk})


def unfollow_by_api(w: Following) -> None:
    expect(api_as(w.follower).delete(f"/api/users/{w.followed.pk}/follow/"), 204)


def unfollow_with_the_button(w: Following) -> None:
    expect(pages_as(w.follower).post(reverse("unfollow", args=[w.followed.username])), 302)


def follow_deleted_in_the_admin(w: Following) -> None:
    delete_in_admin(pages_as(w.admin), Follow.objects.get(follower=w.follower, followed=w.followed))


def follow_deleted_in_the_admin_by_action(w: Following) -> None:
    delete_selected_in_admin(pages_as(w.admin), Follow.objects.get(follower=w.follower, followed=w.followed))


FOLLOW_WRITES = [follow_by_api, follow_with_the_button, follow_added_in_the_admin]
UNFOLLOW_WRITES = [
    unfollow_by_api,
    unfollow_with_the_button,
    follow_deleted_in_the_admin,
    follow_deleted_in_the_admin_by_action,
]


def check_follow_write(w: Following, write: Callable[[Following], None], *, follows: bool) -> None:
    """`write` makes alice follow bob (`follows`) or stop."""
    if not follows:
        FollowFactory(follower=w.follower, followed=w.followed)
    reads = follow_reads(w)
    check_fresh(reads, every(reads, not follows), lambda: write(w), every(reads, follows))


@pytest.mark.parametrize("write", FOLLOW_WRITES, ids=lambda write: write.__name__)
def test_a_follow_shows_at_once_in_both_peoples_counts_and_the_followers_feed(following, write):
    check_follow_write(following, write, follows=True)


@pytest.mark.parametrize("write", UNFOLLOW_WRITES, ids=lambda write: write.__name__)
def test_an_unfollow_shows_at_once_in_both_peoples_counts_and_the_followers_feed(following, write):
    check_follow_write(following, write, follows=False)


@committing
def test_follow_by_api_shows_in_counts_and_feed_after_commit(following, readers_racing_the_commit):
    check_follow_write(following, follow_by_api, follows=True)


@committing
def test_unfollow_with_the_button_shows_in_counts_and_feed_after_commit(following, readers_racing_the_commit):
    check_follow_write(following, unfollow_with_the_button, follows=False)


def test_a_follow_given_another_followed_person_in_the_admin_shows_at_once_for_all_three(following):
    """The admin may change whom a follow is of: the one no longer followed loses the follower at once."""
    w, dave = following, person(username="dave")
    PostFactory(author=dave, body="dave's post")
    follow = FollowFactory(follower=w.follower, followed=w.followed)
    reads = {
        "follower_count in /api/users/<no longer followed>/": lambda: follower_count(w.followed, w.viewer),
        "follower_count in /api/users/<newly followed>/": lambda: follower_count(dave, w.viewer),
        "follower_count of the no longer followed in /api/users/": lambda: listed(w.followed)["follower_count"],
        "/api/feed/ of the follower": lambda: sorted(bodies(feed_api(w.follower))),
        "feed page of the follower": lambda: sorted(bodies(feed_cards(w.follower))),
    }
    before = [1, 0, 1, ["alice's post", "bob's post"], ["alice's post", "bob's post"]]
    after = [0, 1, 0, ["alice's post", "dave's post"], ["alice's post", "dave's post"]]
    check_fresh(
        reads,
        dict(zip(reads, before, strict=True)),
        lambda: change_in_admin(pages_as(w.admin), follow, followed=dave.pk),
        dict(zip(reads, after, strict=True)),
    )


def test_a_follow_given_another_follower_in_the_admin_shows_at_once_for_all_three(following):
    """The admin may change who follows: the one no longer following loses the count and the feed at once."""
    w, dave = following, person(username="dave")
    follow = FollowFactory(follower=w.follower, followed=w.followed)
    reads = {
        "following_count in /api/users/<no longer following>/": lambda: following_count(w.follower, w.viewer),
        "following_count in /api/users/<newly following>/": lambda: following_count(dave, w.viewer),
        "following_count of the no longer following in /api/users/": lambda: listed(w.follower)["following_count"],
        "/api/feed/ of the no longer following": lambda: bodies(feed_api(w.follower)),
        "feed page of the no longer following": lambda: bodies(feed_cards(w.follower)),
        "/api/feed/ of the newly following": lambda: bodies(feed_api(dave)),
    }
    before = [1, 0, 1, ["bob's post", "alice's post"], ["bob's post", "alice's post"], []]
    after = [0, 1, 0, ["alice's post"], ["alice's post"], ["bob's post"]]
    check_fresh(
        reads,
        dict(zip(reads, before, strict=True)),
        lambda: change_in_admin(pages_as(w.admin), follow, follower=dave.pk),
        dict(zip(reads, after, strict=True)),
    )


# --- Profiles: username, full name, about me ----------------------------------------------------------------

OLD_PROFILE = {"username": "alice", "full_name": "Alice Old", "about_me": "Old about me"}
NEW_PROFILE = {"username": "alice2", "full_name": "Alice New", "about_me": "New about me"}


@dataclass
class Profile:
    person: User  # "alice", with a post
    follower: User  # follows alice
    viewer: User  # someone else, signed in
    admin: User


@pytest.fixture
def profile(admin_user) -> Profile:
    alice = person(**OLD_PROFILE)
    follower, viewer = person(username="follower"), person(username="viewer")
    FollowFactory(follower=follower, followed=alice)
    PostFactory(author=alice, body="alice's post")
    return Profile(alice, follower, viewer, admin_user)


def profile_fields(row: dict) -> dict:
    return {name: row[name] for name in NEW_PROFILE}


def people_reads(w, shown: Callable[[dict], object]) -> Reads:
    """What `shown` picks out of the person `w.person`, read four ways: their detail and the list of people,
    each anonymous and by `w.viewer`."""
    return {
        "/api/users/<id>/": lambda: shown(person_api(w.person, w.viewer)),
        "/api/users/<id>/ (anonymous)": lambda: shown(person_api(w.person)),
        "/api/users/": lambda: shown(listed(w.person)),
        "/api/users/ (signed in)": lambda: shown(listed(w.person, w.viewer)),
    }


def person_reads(w: Profile) -> Reads:
    """Each read: the person's username, full name and about me."""
    return people_reads(w, profile_fields)


def author_reads(w: Profile) -> Reads:
    """Each read: the author's username on their posts."""
    return {
        "/api/posts/": lambda: authors(posts_api()),
        "/api/feed/ of a follower": lambda: authors(feed_api(w.follower)),
        "/explore/": lambda: authors(explore_cards()),
        "feed page of a follower": lambda: authors(feed_cards(w.follower)),
        "their profile page": lambda: authors(profile_cards(w.person)),
    }


def profile_edited_by_api(w: Profile) -> None:
    expect(api_as(w.person).patch(user_url(w.person), NEW_PROFILE, format="json"), 200)


def profile_edited_on_the_page(w: Profile) -> None:
    form = {name: getattr(w.person, name) for name in PROFILE_FIELDS} | NEW_PROFILE
    expect(pages_as(w.person).post(reverse("edit_profile"), form), 302)


def profile_changed_in_the_admin(w: Profile) -> None:
    change_in_admin(pages_as(w.admin), w.person, **NEW_PROFILE)


PROFILE_WRITES = [profile_edited_by_api, profile_edited_on_the_page, profile_changed_in_the_admin]


def check_profile_write(w: Profile, write: Callable[[Profile], None], reads: Reads) -> None:
    """`reads` of person_reads() and author_reads() show the old profile, then the new one."""
    persons = person_reads(w).keys()
    before = {name: OLD_PROFILE if name in persons else ["alice"] for name in reads}
    after = {name: NEW_PROFILE if name in persons else ["alice2"] for name in reads}
    check_fresh(reads, before, lambda: write(w), after)


@pytest.mark.parametrize("write", PROFILE_WRITES, ids=lambda write: write.__name__)
def test_a_profile_change_shows_at_once_in_the_persons_api_reads(profile, write):
    check_profile_write(profile, write, person_reads(profile))


@pytest.mark.parametrize("write", PROFILE_WRITES, ids=lambda write: write.__name__)
def test_a_rename_shows_at_once_as_the_author_of_their_posts(profile, write):
    check_profile_write(profile, write, author_reads(profile))


@committing
def test_a_person_changed_in_the_admin_shows_everywhere_after_commit(profile, readers_racing_the_commit):
    check_profile_write(profile, profile_changed_in_the_admin, person_reads(profile) | author_reads(profile))


@committing
def test_a_profile_edited_by_api_shows_everywhere_after_commit(profile, readers_racing_the_commit):
    check_profile_write(profile, profile_edited_by_api, person_reads(profile) | author_reads(profile))


def test_deactivating_a_person_in_the_admin_reads_their_detail_again(profile):
    """The API shows nothing of is_active; deactivating still makes the cached answers about them be read again."""
    w = profile

    def queries_of(read) -> int:
        with CaptureQueriesContext(connection) as ctx:
            read()
        return len(ctx.captured_queries)

    reads = {"/api/users/<id>/ (anonymous)": lambda: person_api(w.person), "/api/users/": lambda: listed(w.person)}
    shown = {name: read() for name, read in reads.items()}
    assert {name: queries_of(read) for name, read in reads.items()} == every(reads, 0)  # answered from the cache

    change_in_admin(pages_as(w.admin), w.person, unset=("is_active",))

    assert not User.objects.get(pk=w.person.pk).is_active
    assert {name: queries_of(read) > 0 for name, read in reads.items()} == every(reads, True), "still cached"
    assert {name: read() for name, read in reads.items()} == shown


def test_a_person_registered_on_the_page_or_by_api_shows_at_once_in_the_list_of_people(profile):
    def usernames(viewer: User | None) -> list[str]:
        return [row["username"] for row in get_json(api_as(viewer), "/api/users/")["results"]]

    reads = {"/api/users/": lambda: usernames(None), "/api/users/ (signed in)": lambda: usernames(profile.viewer)}
    password = "a long and unusual passphrase 7"
    form = {"username": "newcomer", "email": "newcomer@example.org", "password1": password, "password2": password}
    data = {"username": "second", "email": "second@example.org", "password": password}

    check_fresh(
        reads,
        every(reads, ["admin", "alice", "follower", "viewer"]),
        lambda: expect(pages_as().post(reverse("register"), form), 302),
        every(reads, ["admin", "alice", "follower", "newcomer", "viewer"]),
    )
    check_fresh(
        reads,
        every(reads, ["admin", "alice", "follower", "newcomer", "viewer"]),
        lambda: expect(api_as().post("/api/users/", data, format="json"), 201),
        every(reads, ["admin", "alice", "follower", "newcomer", "second", "viewer"]),
    )


# --- Organization: renames and moves, in the admin, by API and by spreadsheet import ------------------------


@dataclass
class Placed:
    person: User  # "alice", in Cardiology / Cath Lab, a Professor
    viewer: User
    admin: User
    department: Department  # Cardiology
    other_department: Department  # Neurology, with the unit Stroke Unit
    unit: Unit  # Cath Lab
    designation: Designation  # Professor (Lecturer exists too)


@pytest.fixture
def placed(admin_user) -> Placed:
    cardiology, neurology = DepartmentFactory(name="Cardiology"), DepartmentFactory(name="Neurology")
    cath_lab = UnitFactory(name="Cath Lab", abbr="CL", department=cardiology)
    UnitFactory(name="Stroke Unit", abbr="SU", department=neurology)
    professor = DesignationFactory(name="Professor")
    DesignationFactory(name="Lecturer")
    alice = person(username="alice", full_name="Alice Old", department=cardiology, unit=cath_lab, designation=professor)
    return Placed(alice, person(username="viewer"), admin_user, cardiology, neurology, cath_lab, professor)


def place_of(row: dict) -> tuple:
    return tuple(row[name] and row[name]["name"] for name in ("department", "unit", "designation"))


def place_reads(w: Placed) -> Reads:
    """Each read: the person's (department, unit, designation) names."""
    return people_reads(w, place_of)


def department_renamed_in_the_admin(w: Placed) -> tuple:
    change_in_admin(pages_as(w.admin), w.department, name="Cardiology Dept")  # with its units inline
    return ("Cardiology Dept", "Cath Lab", "Professor")


def unit_renamed_in_the_admin(w: Placed) -> tuple:
    change_in_admin(pages_as(w.admin), w.unit, name="Cath Lab 2")
    return ("Cardiology", "Cath Lab 2", "Professor")


def designation_renamed_in_the_admin(w: Placed) -> tuple:
    change_in_admin(pages_as(w.admin), w.designation, name="Senior Professor")
    return ("Cardiology", "Cath Lab", "Senior Professor")


def unit_moved_in_the_admin(w: Placed) -> tuple:
    change_in_admin(pages_as(w.admin), w.unit, department=w.other_department.pk)  # its people move along
    return ("Neurology", "Cath Lab", "Professor")


def person_moved_in_the_admin(w: Placed) -> tuple:
    change_in_admin(pages_as(w.admin), w.person, department=w.other_department.pk, unit="", designation="")
    return ("Neurology", None, None)


def department_deleted_in_the_admin(w: Placed) -> tuple:
    delete_in_admin(pages_as(w.admin), w.department)  # its units go with it; its people stay, detached
    return (None, None, "Professor")


def unit_deleted_in_the_admin(w: Placed) -> tuple:
    delete_in_admin(pages_as(w.admin), w.unit)
    return ("Cardiology", None, "Professor")


def department_renamed_by_api(w: Placed) -> tuple:
    expect(api_as(w.admin).patch(f"/api/departments/{w.department.pk}/", {"name": "Cardiology Dept"}), 200)
    return ("Cardiology Dept", "Cath Lab", "Professor")


def unit_moved_by_api(w: Placed) -> tuple:
    expect(api_as(w.admin).patch(f"/api/units/{w.unit.pk}/", {"department": w.other_department.pk}), 200)
    return ("Neurology", "Cath Lab", "Professor")


def designation_renamed_by_api(w: Placed) -> tuple:
    expect(api_as(w.admin).patch(f"/api/designations/{w.designation.pk}/", {"name": "Senior Professor"}), 200)
    return ("Cardiology", "Cath Lab", "Senior Professor")


def department_deleted_by_api(w: Placed) -> tuple:
    expect(api_as(w.admin).delete(f"/api/departments/{w.department.pk}/"), 204)
    return (None, None, "Professor")


def unit_moved_by_import(w: Placed) -> tuple:
    imported(pages_as(w.admin), Unit, "units.csv", b"name,abbr,department\nCath Lab,CL,Neurology\n")
    return ("Neurology", "Cath Lab", "Professor")


def person_moved_by_import(w: Placed) -> tuple:
    content = b"username,email,department,unit,designation\nalice,alice@example.org,Neurology,Stroke Unit,Lecturer\n"
    imported(pages_as(w.admin), User, "people.csv", content)
    return ("Neurology", "Stroke Unit", "Lecturer")


PLACE_WRITES = [
    department_renamed_in_the_admin,
    unit_renamed_in_the_admin,
    designation_renamed_in_the_admin,
    unit_moved_in_the_admin,
    person_moved_in_the_admin,
    department_deleted_in_the_admin,
    unit_deleted_in_the_admin,
    department_renamed_by_api,
    unit_moved_by_api,
    designation_renamed_by_api,
    department_deleted_by_api,
    unit_moved_by_import,
    person_moved_by_import,
]


def check_place_write(w: Placed, write: Callable[[Placed], tuple]) -> None:
    reads = place_reads(w)
    before = every(reads, ("Cardiology", "Cath Lab", "Professor"))
    check_fresh(reads, before, lambda: write(w), lambda place: every(reads, place))


@pytest.mark.parametrize("write", PLACE_WRITES, ids=lambda write: write.__name__)
def test_a_rename_or_move_in_the_organization_shows_at_once_in_the_persons_api_reads(placed, write):
    check_place_write(placed, write)


@committing
@pytest.mark.parametrize(
    "write", [department_renamed_in_the_admin, unit_moved_by_api, unit_moved_by_import], ids=lambda w: w.__name__
)
def test_a_rename_or_move_in_the_organization_shows_after_commit(placed, readers_racing_the_commit, write):
    check_place_write(placed, write)


def test_a_people_import_shows_their_new_names_at_once(placed):
    w = placed
    reads = {
        "/api/users/<id>/": lambda: person_api(w.person, w.viewer)["full_name"],
        "/api/users/": lambda: listed(w.person)["full_name"],
    }
    content = b"username,email,full_name\nalice,alice@example.org,Alice Imported\n"
    check_fresh(
        reads,
        every(reads, "Alice Old"),
        lambda: imported(pages_as(w.admin), User, "people.csv", content),
        every(reads, "Alice Imported"),
    )


# --- Commands: seed_db and empty_db -------------------------------------------------------------------------


def count_reads() -> Reads:
    return {
        "posts in /api/posts/": lambda: get_json(api_as(), "/api/posts/")["count"],
        "people in /api/users/": lambda: get_json(api_as(), "/api/users/")["count"],
        "posts on /explore/": lambda: len(explore_cards()),
    }


@pytest.mark.parametrize(
    "options",
    [{}, {"users": 5, "posts_per_user": 2, "follows_per_user": 1}],
    ids=["demo people", "volume data (bulk inserts)"],
)
def test_seed_db_shows_at_once(options):
    reads = count_reads()

    def seeded(_) -> dict:
        posts = Post.objects.count()
        assert posts
        return dict(zip(reads, [posts, User.objects.count(), min(posts, 25)], strict=True))  # 25 posts a page

    check_fresh(reads, every(reads, 0), lambda: call_command("seed_db", verbosity=0, **options), seeded)


def test_empty_db_shows_at_once(posting):
    reads = count_reads() | {
        "/api/users/<author>/": lambda: status_of(api_as(), user_url(posting.author)),
        "the author's profile page": lambda: status_of(pages_as(), "/user/author/"),
    }
    check_fresh(
        reads,
        dict(zip(reads, [1, 4, 1, 200, 200], strict=True)),
        lambda: call_command("empty_db", "--noinput", stdout=io.StringIO()),
        dict(zip(reads, [0, 0, 0, 404, 404], strict=True)),
    )


# --- LastSeenMiddleware -------------------------------------------------------------------------------------

LONG_AGO = datetime(2020, 1, 1, tzinfo=UTC)


def signed_in_page_request(user: User) -> None:
    expect(pages_as(user).get("/explore/"), 200)


def signed_in_browser_api_request(user: User) -> None:
    expect(pages_as(user).get("/api/posts/"), 200)  # as the pages' JavaScript calls it, with the session


@pytest.mark.parametrize(
    "request_by", [signed_in_page_request, signed_in_browser_api_request], ids=lambda r: r.__name__
)
def test_a_persons_request_shows_their_new_last_seen_at_once(profile, request_by):
    w = profile
    User.objects.filter(pk=w.person.pk).update(last_seen=LONG_AGO)

    def last_seen(row: dict) -> datetime | None:
        return row["last_seen"] and datetime.fromisoformat(row["last_seen"])

    reads = {
        "/api/users/<id>/": lambda: last_seen(person_api(w.person, w.viewer)),
        "/api/users/<id>/ (anonymous)": lambda: last_seen(person_api(w.person)),
        "/api/users/": lambda: last_seen(listed(w.person)),
    }

    def seen_just_now(_) -> dict:
        stored = User.objects.get(pk=w.person.pk).last_seen
        assert stored > timezone.now() - timedelta(minutes=1)
        return every(reads, stored)

    check_fresh(reads, every(reads, LONG_AGO), lambda: request_by(w.person), seen_just_now)


def test_a_request_with_an_api_token_is_not_a_visit(profile):
    """last_seen follows the signed-in browser (as microblog's does): a token's request leaves it as it was."""
    w = profile
    User.objects.filter(pk=w.person.pk).update(last_seen=LONG_AGO)
    expect(api_as(w.person).get("/api/posts/"), 200)
    assert User.objects.get(pk=w.person.pk).last_seen == LONG_AGO
    assert datetime.fromisoformat(person_api(w.person)["last_seen"]) == LONG_AGO
