"""The read serializers build their dicts directly: the result must equal DRF's field-by-field representation."""

import datetime

import pytest
from django.contrib.auth.models import AnonymousUser
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from accounts.api.serializers import PRIVATE_FIELDS, UserSerializer, UserSummarySerializer
from accounts.selectors import user_list
from posts.api.serializers import PostSerializer
from posts.selectors import post_list
from tests.factories import DesignationFactory, PostFactory, StaffFactory, UnitFactory, UserFactory

pytestmark = pytest.mark.django_db

AN_ODD_TIME = datetime.datetime(2026, 3, 4, 5, 6, 7, 891011, tzinfo=datetime.timezone(datetime.timedelta(hours=5)))


def drf_generic(serializer, obj) -> dict:
    """What DRF's ModelSerializer makes of `obj` with the serializer's declared fields."""
    return dict(serializers.ModelSerializer.to_representation(serializer, obj))


def request_by(user):
    request = Request(APIRequestFactory().get("/api/users/", HTTP_HOST="testserver"))
    request.user = user
    return request


@pytest.fixture
def people():
    unit = UnitFactory()
    member = UserFactory(
        unit=unit,
        department=unit.department,
        designation=DesignationFactory(),
        last_seen=AN_ODD_TIME,
        employee_id="E-1",
        mobile="+91 98765 43210",
        office_address='Room <1> & "2"',
    )
    bare = UserFactory(full_name="", about_me="")  # no organization, never seen, empty texts
    return [user_list().get(pk=member.pk), user_list().get(pk=bare.pk)]


@pytest.mark.parametrize("viewer_kind", ["anonymous", "other", "self", "staff"])
def test_user_representation_equals_drf_generic_with_private_fields_masked(people, viewer_kind):
    for person in people:
        viewer = {
            "anonymous": AnonymousUser(),
            "other": UserFactory(),
            "self": person,
            "staff": StaffFactory(),
        }[viewer_kind]
        serializer = UserSerializer(context={"request": request_by(viewer)})
        expected = drf_generic(serializer, person)
        if viewer_kind in ("anonymous", "other"):
            expected |= dict.fromkeys(PRIVATE_FIELDS)
        assert serializer.to_representation(person) == expected
        assert list(serializer.to_representation(person)) == list(serializer.fields)  # same keys, same order


def test_user_summary_and_post_representations_equal_drf_generic(people):
    PostFactory(author=people[0], body="<b>bold</b> & ünïcode ✓", timestamp=AN_ODD_TIME)
    PostFactory(author=people[1])
    for request in (request_by(AnonymousUser()), None):
        context = {"request": request} if request else {}
        summary = UserSummarySerializer(context=context)
        for person in people:
            assert summary.to_representation(person) == drf_generic(summary, person)
        post_serializer = PostSerializer(context=context)
        for post in post_list():
            representation = post_serializer.to_representation(post)
            generic = drf_generic(post_serializer, post)
            assert representation == generic
            assert representation["timestamp"].endswith("Z")
