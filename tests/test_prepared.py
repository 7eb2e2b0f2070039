"""project.prepared: a prepared read sends exactly the ORM's SQL and builds exactly the ORM's objects.

Every hot read that goes through a PreparedQuery is compared here with the queryset it is defined by,
on whichever engine the suite runs (SQLite, PostgreSQL, MariaDB): the statements sent, with their
values, and the objects built (fields, deferred fields, select_related objects, annotations).
"""

import datetime

import pytest
from django.contrib.auth import BACKEND_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore as DjangoSessionStore
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.db.models import Count
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.authtoken.models import Token

from accounts import selectors as people
from accounts.authentication import _token_by_key
from accounts.models import User
from accounts.sessions import SessionStore, _live_session
from posts import selectors as posts
from posts.models import Post
from project import prepared
from project.prepared import PreparedQuery
from tests.factories import DepartmentFactory, DesignationFactory, FollowFactory, PostFactory, UnitFactory, UserFactory

pytestmark = pytest.mark.django_db


def snapshot(obj, seen=()):
    """Everything an object carries: its loaded fields and annotations, what is deferred, its related objects."""
    if isinstance(obj, dict):
        return obj
    if any(obj is other for other in seen):  # a reverse one-to-one points back (token.user.auth_token)
        return "<the same object>"
    data = {name: value for name, value in vars(obj).items() if name != "_state"}
    data["deferred"] = sorted(obj.get_deferred_fields())
    data["related"] = {
        name: None if related is None else snapshot(related, (*seen, obj))
        for name, related in obj._state.fields_cache.items()
    }
    data["db"] = obj._state.db
    data["adding"] = obj._state.adding
    return data


def run(read):
    """(the statements `read` sent, what it returned as snapshots)."""
    with CaptureQueriesContext(connection) as queries:
        result = read()
    if isinstance(result, list):
        result = [snapshot(obj) for obj in result]
    elif not isinstance(result, int):
        result = snapshot(result)
    return [q["sql"] for q in queries.captured_queries], result


def assert_same(prepared_read, orm_read):
    """Twice, so that the second prepared call reuses the compiled statement."""
    orm_sql, orm_result = run(orm_read)
    for _ in range(2):
        sql, result = run(prepared_read)
        assert sql == orm_sql
        assert result == orm_result


@pytest.fixture
def world():
    """Three people with organization, follows and posts at distinct times (some at the same time)."""
    department = DepartmentFactory()
    unit = UnitFactory(department=department)
    ana = UserFactory(username="ana", department=department, unit=unit, designation=DesignationFactory())
    ben = UserFactory(username="ben", department=department, last_seen=timezone.now())
    cy = UserFactory(username="cy")
    FollowFactory(follower=ana, followed=ben)
    FollowFactory(follower=cy, followed=ana)
    start = timezone.now() - datetime.timedelta(days=3)
    for i, author in enumerate([ana, ben, cy, ben, ana, cy, ben]):
        PostFactory(author=author, timestamp=start + datetime.timedelta(hours=i // 2))
    return {"ana": ana, "ben": ben, "cy": cy}


@pytest.mark.parametrize("name", ["ana", "ben", "cy"])
def test_a_person_by_id_is_the_orm_get(world, name):
    pk = world[name].pk
    assert_same(lambda: people.user_detail(pk=pk), lambda: people.user_api_list().get(pk=pk))


@pytest.mark.parametrize(("name", "viewer"), [("ben", "ana"), ("ana", "ben"), ("cy", None), ("ana", "ana")])
def test_a_profile_is_the_orm_get_with_the_viewers_follow(world, name, viewer):
    from django.db.models import Exists, OuterRef

    from accounts.models import Follow

    seen_by = world[viewer] if viewer else None

    def orm():
        qs = people.user_list()
        if seen_by:
            qs = qs.annotate(is_followed=Exists(Follow.objects.filter(follower=seen_by, followed=OuterRef("pk"))))
        return qs.get(username=name)

    assert_same(lambda: people.user_profile(username=name, viewer=seen_by), orm)


def test_an_unknown_person_is_does_not_exist(world):
    with pytest.raises(User.DoesNotExist):
        people.user_detail(pk=world["cy"].pk + 1000)
    with pytest.raises(User.DoesNotExist):
        people.user_profile(username="nobody", viewer=world["ana"])


@pytest.mark.parametrize(("offset", "limit"), [(0, 2), (1, 2), (0, 20), (2, 1), (5, 3)])
def test_pages_of_people_are_the_orm_slices(world, offset, limit):
    pages = people.user_list_pages()
    assert_same(lambda: pages[offset : offset + limit], lambda: list(people.user_api_list()[offset : offset + limit]))
    assert_same(lambda: pages.count(), lambda: people.user_api_list().count())


@pytest.mark.parametrize("name", ["ana", "ben", "cy"])
@pytest.mark.parametrize(("offset", "limit"), [(0, 20), (1, 3), (4, 10)])
def test_pages_of_a_feed_are_the_orm_slices(world, name, offset, limit):
    user = world[name]
    pages = posts.feed_pages(user=user)
    feed = posts.feed_for_user(user=user)
    assert_same(lambda: pages[offset : offset + limit], lambda: list(feed[offset : offset + limit]))
    assert_same(lambda: pages.count(), lambda: feed.count())


def test_pages_of_all_posts_are_the_orm_slices(world):
    pages = posts.post_list_pages()
    assert_same(lambda: pages[0:5], lambda: list(posts.post_list()[0:5]))
    assert_same(lambda: pages[5:10], lambda: list(posts.post_list()[5:10]))
    assert_same(lambda: pages.count(), lambda: posts.post_list().count())


@pytest.mark.parametrize("name", ["ana", "ben"])
def test_an_authors_posts_are_the_related_managers_with_the_same_author_object(world, name):
    author = people.user_profile(username=name)
    pages = posts.post_list_pages(author=author)
    assert_same(lambda: pages[0:25], lambda: list(author.posts.all()[0:25]))
    assert all(post.author is author for post in pages[0:25])


def test_a_token_is_drf_tokens_get_with_its_person(world):
    token = Token.objects.create(user=world["ben"])
    assert_same(
        lambda: _token_by_key.get(key=token.key), lambda: Token.objects.select_related("user").get(key=token.key)
    )
    with pytest.raises(Token.DoesNotExist):
        _token_by_key.get(key="0" * 40)


def test_a_person_by_id_for_authentication_is_the_default_managers_get(world):
    pk = world["ana"].pk
    assert_same(lambda: people.user_by_pk(pk=pk), lambda: User._default_manager.get(pk=pk))


def test_a_session_row_is_djangos_session_read_with_the_time_bound(world, monkeypatch):
    """The datetime parameter is adapted as the DateTimeField adapts it, on every engine."""
    now = timezone.now()
    monkeypatch.setattr(timezone, "now", lambda: now)  # both stores read the clock: the same instant
    django_store = DjangoSessionStore()
    django_store.update({SESSION_KEY: str(world["ana"].pk), BACKEND_SESSION_KEY: "x"})
    django_store.save()
    key = django_store.session_key
    for _ in range(2):
        django_sql, django_data = run(lambda: DjangoSessionStore(key).load())
        sql, data = run(lambda: SessionStore(key).load())
        assert (sql, data) == (django_sql, django_data)
        assert data[SESSION_KEY] == str(world["ana"].pk)
    # An expired session is no session: the time bound is a real parameter, not the compiled one.
    from django.contrib.sessions.models import Session

    Session.objects.filter(session_key=key).update(expire_date=now - datetime.timedelta(seconds=1))
    store = SessionStore(key)
    assert store.load() == {}
    assert store.session_key is None
    later = now + datetime.timedelta(days=1)
    Session.objects.filter(session_key=key).update(expire_date=later)
    assert _live_session.get(key=key, now=later - datetime.timedelta(microseconds=1)).session_key == key
    with pytest.raises(Session.DoesNotExist):
        _live_session.get(key=key, now=later)


def test_values_querysets_give_the_orms_dicts(world):
    by_author = PreparedQuery(
        lambda name: Post.objects.filter(author__username=name).values("id", "author__username", "timestamp"),
        name=str,
    )
    assert_same(
        lambda: by_author.list(name="ben", limit=10),
        lambda: list(Post.objects.filter(author__username="ben").values("id", "author__username", "timestamp")[:10]),
    )


def test_a_parameter_used_twice_is_bound_everywhere(world):
    """The feed's `user_id` appears in both halves of its UNION."""
    ana, ben = world["ana"], world["ben"]
    assert {p.author_id for p in posts.feed_pages(user=ana)[0:50]} == {ana.pk, ben.pk}
    assert {p.author_id for p in posts.feed_pages(user=ben)[0:50]} == {ben.pk}


def test_get_with_two_rows_is_multiple_objects_returned(world):
    User.objects.filter(username__in=["ana", "ben"]).update(full_name="Same Name")
    same = PreparedQuery(lambda name: User.objects.filter(full_name=name), name=str)
    with pytest.raises(User.MultipleObjectsReturned):
        same.get(name="Same Name")


def test_an_empty_slice_sends_nothing(world, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert people.user_list_pages()[3:3] == []


def test_a_value_the_orm_changes_cannot_be_prepared(world):
    containing = PreparedQuery(lambda part: User.objects.filter(username__contains=part), part=str)
    with pytest.raises(ImproperlyConfigured, match="does not reach the SQL unchanged"):
        containing.list(part="an")


def test_a_parameter_the_query_does_not_use_is_an_error(world):
    unused = PreparedQuery(lambda pk: User.objects.all(), pk=int)
    with pytest.raises(ImproperlyConfigured, match="'pk'"):
        unused.count(pk=1)


def test_what_cannot_be_prepared_says_so(world):
    with pytest.raises(ImproperlyConfigured, match="prefetch_related"):
        PreparedQuery(lambda: User.objects.prefetch_related("posts")).list()
    with pytest.raises(ImproperlyConfigured, match="values_list"):
        PreparedQuery(lambda: User.objects.values_list("pk")).list()
    with pytest.raises(TypeError, match="int, str or datetime"):
        PreparedQuery(lambda x: User.objects.filter(pk=x), x=float)


def test_the_values_must_be_the_declared_ones(world):
    with pytest.raises(TypeError, match="takes"):
        people._user_by_pk.get(id=1)


def test_aggregates_in_the_queryset_are_prepared_too(world):
    counted = PreparedQuery(lambda name: User.objects.filter(username=name).annotate(n=Count("posts")), name=str)
    assert_same(lambda: counted.get(name="ben"), lambda: User.objects.annotate(n=Count("posts")).get(username="ben"))


def test_only_the_latest_slices_are_kept(world):
    everyone = PreparedQuery(people.user_list)
    for offset in range(prepared.SLICES_KEPT + 10):
        assert [u.pk for u in everyone.list(offset=offset % 3, limit=offset + 1)] == [
            u.pk for u in people.user_list()[offset % 3 : offset % 3 + offset + 1]
        ]
    assert len(everyone._local.cache) == prepared.SLICES_KEPT


@pytest.mark.django_db(transaction=True)
def test_a_count_first_compiled_on_a_new_connection_is_the_count():
    """A new connection's own statements (MariaDB sends some as it opens) are not mistaken for the COUNT."""
    import threading

    from django.db import connections

    from organization.models import Cadre

    Cadre.objects.create(name="One")
    cadres = PreparedQuery(lambda: Cadre.objects.all())
    counted = []

    def in_a_new_thread():
        try:
            counted.append(cadres.count())
            counted.append(cadres.count())
        finally:
            connections.close_all()

    thread = threading.Thread(target=in_a_new_thread)
    thread.start()
    thread.join()
    assert counted == [1, 1]
