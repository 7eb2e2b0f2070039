"""The admin: every model registered, every page reachable, flat changelist queries, safe deletes."""

from datetime import UTC, datetime

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from factory.django import DjangoModelFactory
from simple_history.models import HistoricalChanges

from accounts.models import Follow, User
from organization.models import Cadre, Department, Unit
from posts.models import Post, PostCounter, PostExport
from tests import factories
from tests.factories import (
    CadreFactory,
    DepartmentFactory,
    DesignationFactory,
    FollowFactory,
    PostFactory,
    UnitFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

# Change history (HistoricalUser, …) is shown in each model's history view, not registered on its own; the
# counter of posts is bookkeeping that only posts.counting writes (an admin edit would make it wrong).
PROJECT_MODELS = [
    m
    for label in ("accounts", "posts", "organization")
    for m in apps.get_app_config(label).get_models()
    if not issubclass(m, HistoricalChanges) and m is not PostCounter
]
FACTORIES = {
    f._meta.model: f
    for f in vars(factories).values()
    if isinstance(f, type) and issubclass(f, DjangoModelFactory) and f._meta.model is not None
}
MAX_CHANGELIST_QUERIES = 12  # measured: 5 to 8 (User, with its filter sidebars), on all three databases
PROTECTED_MESSAGE = "would require deleting the following protected related objects"

by_model = pytest.mark.parametrize("model", PROJECT_MODELS, ids=lambda m: m._meta.label)


def _url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def _make_row(model):
    """One realistic row: every relation its changelist shows is filled in, so a per-row query would show."""
    factory = FACTORIES.get(model)
    if factory is None:
        pytest.fail(f"{model._meta.label} has no factory in tests/factories.py; add one.")
    if model is User:
        unit = UnitFactory()
        user = factory(department=unit.department, unit=unit, designation=DesignationFactory())
        user.groups.add(Group.objects.get_or_create(name="Editors")[0])  # roles are groups
        PostFactory(author=user)
        return user
    if model is Department:
        department = factory()
        UnitFactory.create_batch(2, department=department)
        department.heads.add(UserFactory())
        return department
    if model is Cadre:
        cadre = factory()
        DesignationFactory.create_batch(2, cadre=cadre)
        return cadre
    # Post: its own author; Follow: two new users; Unit: its own department; Designation: its own cadre.
    return factory()


def _make_rows(model, total):
    """Rows until the table holds `total` (the logged-in admin is already a User row)."""
    while model.objects.count() < total:
        _make_row(model)


def _changelist_queries(client, model):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(_url(model, "changelist"))
    assert response.status_code == 200
    assert response.context["cl"].result_count == model.objects.count()
    return len(ctx.captured_queries)


def test_every_project_model_is_registered_in_the_admin():
    missing = [m._meta.label for m in PROJECT_MODELS if not admin.site.is_registered(m)]
    assert not missing, f"models without an admin: {missing}"


def test_every_project_model_has_a_factory():
    missing = [m._meta.label for m in PROJECT_MODELS if m not in FACTORIES]
    assert not missing, f"models without a factory in tests/factories.py: {missing}"


@by_model
def test_superuser_gets_changelist_add_and_change_pages(admin_client, model):
    obj = _make_row(model)

    assert admin_client.get(_url(model, "changelist")).status_code == 200
    # Exports are made by their owners' tasks, never added in the admin.
    assert admin_client.get(_url(model, "add")).status_code == (403 if model is PostExport else 200)
    response = admin_client.get(_url(model, "change", obj.pk))
    assert response.status_code == 200
    assert response.context["original"] == obj


@by_model
def test_changelist_search_and_every_filter_return_200(admin_client, model):
    _make_rows(model, 3)  # a related-object filter is only shown when it has two choices or more
    url = _url(model, "changelist")

    response = admin_client.get(url, {"q": "something"})
    assert response.status_code == 200
    assert response.context["cl"].query == "something"

    cl = admin_client.get(url).context["cl"]
    assert len(cl.filter_specs) == len(admin.site.get_model_admin(model).list_filter)
    for spec in cl.filter_specs:
        # The first choice that is not the default ("All", "Any date"): the filter actually applied.
        choice = next(c for c in spec.choices(cl) if not c["selected"])
        response = admin_client.get(url + choice["query_string"])
        # An unknown or invalid filter parameter redirects to ?e=1 instead.
        assert response.status_code == 200, f"{spec.title}: {choice['query_string']}"
        assert response.context["cl"].has_active_filters


@by_model
def test_changelist_query_count_does_not_grow_with_rows(admin_client, django_assert_max_num_queries, model):
    # Each count after a first request: writing rows may change what the signed-in person is read under
    # (core.caching), and the first request after that reads them again.
    _make_rows(model, 2)
    admin_client.get(_url(model, "changelist"))
    with_2_rows = _changelist_queries(admin_client, model)

    _make_rows(model, 50)
    admin_client.get(_url(model, "changelist"))
    with django_assert_max_num_queries(MAX_CHANGELIST_QUERIES):
        with_50_rows = _changelist_queries(admin_client, model)

    assert with_50_rows == with_2_rows, f"{model._meta.label}: {with_2_rows} queries for 2 rows, {with_50_rows} for 50"


def test_department_change_page_shows_its_units_inline(admin_client):
    department = DepartmentFactory()
    units = UnitFactory.create_batch(2, department=department)
    UnitFactory(name="Unit of another department")

    response = admin_client.get(_url(Department, "change", department.pk))

    assert response.status_code == 200
    content = response.content.decode()
    assert 'name="units-TOTAL_FORMS"' in content
    assert 'name="units-INITIAL_FORMS" value="2"' in content
    assert all(f'value="{u.name}"' in content for u in units)
    assert "Unit of another department" not in content


def test_user_change_page_has_organization_and_contact_fieldsets(admin_client):
    user = _make_row(User)

    response = admin_client.get(_url(User, "change", user.pk))

    assert response.status_code == 200
    headings = [fieldset.name for fieldset in response.context["adminform"]]
    assert {"Organization", "Contact"} <= set(headings)
    content = response.content.decode()
    for field in ("employee_id", "department", "unit", "designation", "mobile2", "email3", "office_address"):
        assert f'name="{field}"' in content, field
    assert user.unit.name in content  # the autocomplete widget renders the selected unit


@pytest.mark.parametrize(
    "make_protected",
    [
        pytest.param(lambda: DesignationFactory().cadre, id="cadre-with-a-designation"),
        pytest.param(lambda: UserFactory(designation=DesignationFactory()).designation, id="designation-held"),
    ],
)
def test_blocked_delete_shows_protected_page_and_deletes_nothing(admin_client, make_protected):
    obj = make_protected()
    url = _url(type(obj), "delete", obj.pk)

    response = admin_client.get(url)
    assert response.status_code == 200
    assert PROTECTED_MESSAGE in response.content.decode()

    response = admin_client.post(url, {"post": "yes"})
    assert response.status_code == 200
    assert PROTECTED_MESSAGE in response.content.decode()
    assert type(obj).objects.filter(pk=obj.pk).exists()


def test_bulk_delete_of_a_protected_cadre_shows_protected_page_and_deletes_nothing(admin_client):
    protected = DesignationFactory().cadre
    unused = CadreFactory()
    data = {"action": "delete_selected", "_selected_action": [protected.pk, unused.pk]}

    for confirm in ({}, {"post": "yes"}):
        response = admin_client.post(_url(Cadre, "changelist"), {**data, **confirm})
        assert response.status_code == 200
        assert PROTECTED_MESSAGE in response.content.decode()
        assert Cadre.objects.filter(pk__in=[protected.pk, unused.pk]).count() == 2


def test_deleting_a_department_in_admin_deletes_its_units_and_keeps_its_people(admin_client):
    unit = UnitFactory()
    department = unit.department
    member = UserFactory(department=department, unit=unit)
    department.heads.add(member)
    url = _url(Department, "delete", department.pk)

    assert admin_client.get(url).status_code == 200
    response = admin_client.post(url, {"post": "yes"})

    assert response.status_code == 302
    assert response.url == _url(Department, "changelist")
    assert not Department.objects.filter(pk=department.pk).exists()
    assert not Unit.objects.filter(pk=unit.pk).exists()
    member.refresh_from_db()
    assert (member.department, member.unit) == (None, None)


def test_post_changelist_drills_down_by_timestamp_year(admin_client):
    PostFactory(timestamp=datetime(2020, 6, 1, 12, tzinfo=UTC))
    PostFactory()
    url = _url(Post, "changelist")

    response = admin_client.get(url)
    assert response.status_code == 200
    assert "timestamp__year=2020" in response.content.decode()  # the date hierarchy offers the year

    response = admin_client.get(url, {"timestamp__year": 2020})
    assert response.status_code == 200
    assert [p.timestamp.year for p in response.context["cl"].result_list] == [2020]


def test_follow_changelist_drills_down_by_created_at_year(admin_client):
    old = FollowFactory()
    Follow.objects.filter(pk=old.pk).update(created_at=datetime(2020, 6, 1, 12, tzinfo=UTC))
    FollowFactory()
    url = _url(Follow, "changelist")

    response = admin_client.get(url, {"created_at__year": 2020})
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [old]

    response = admin_client.get(url, {"created_at__year": timezone.now().year})
    assert response.status_code == 200
    assert old not in response.context["cl"].result_list
    assert len(response.context["cl"].result_list) == 1


def test_the_whole_post_changelist_is_counted_by_the_post_counter_not_by_count(admin_client):
    """posts.admin.PostAdmin: every post is not counted again on each page; a search or a filter still is."""
    posts = [factories.PostFactory(body=body) for body in ("Tea at four", "Tea at five", "Lunch")]
    url = reverse("admin:posts_post_changelist")

    for params in ({}, {"o": "-3"}, {"p": "1"}):
        with CaptureQueriesContext(connection) as ctx:
            response = admin_client.get(url, params)
        assert response.context["cl"].result_count == 3, params
        counts = [q["sql"] for q in ctx.captured_queries if "COUNT(" in q["sql"].upper() and "posts_post" in q["sql"]]
        assert counts == [], params

    assert admin_client.get(url, {"q": "tea"}).context["cl"].result_count == 2
    year = posts[0].timestamp.year
    response = admin_client.get(url, {"timestamp__year": year})
    assert response.context["cl"].result_count == Post.objects.filter(timestamp__year=year).count()
