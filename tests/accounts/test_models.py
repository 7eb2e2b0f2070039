"""Database constraints on people and follows, on every engine."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from accounts.models import Follow, User
from tests.factories import DepartmentFactory, FollowFactory, UnitFactory, UserFactory

pytestmark = pytest.mark.django_db


def _create_fails(**fields):
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(**fields)


def test_duplicate_username_is_rejected_by_the_database():
    UserFactory(username="alice")
    _create_fails(username="alice", email="other@example.org")


def test_username_in_another_case_is_rejected_by_the_database():
    UserFactory(username="alice")
    _create_fails(username="ALICE", email="other@example.org")


def test_same_email_in_another_case_is_rejected_by_the_database():
    UserFactory(email="Alice@Example.org")
    _create_fails(username="bob", email="alice@example.ORG")


def test_same_email_in_another_case_is_a_validation_error():
    UserFactory(email="alice@example.org")
    user = UserFactory.build(username="bob", email="ALICE@example.org")
    with pytest.raises(ValidationError) as excinfo:
        user.full_clean()
    # A field error where the collation is case-insensitive (MariaDB), a constraint error elsewhere.
    assert "A user with that email address already exists." in excinfo.value.messages


def test_employee_id_is_unique_when_set_and_may_be_empty_for_many():
    UserFactory(employee_id="E100")
    UserFactory(employee_id=None)
    UserFactory(employee_id=None)
    _create_fails(username="carol", email="carol@example.org", employee_id="E100")


def test_blank_employee_id_is_stored_as_null_by_full_clean():
    user = UserFactory.build(employee_id="")
    user.full_clean()
    assert user.employee_id is None


def test_about_me_over_140_characters_is_a_validation_error():
    user = UserFactory.build(about_me="x" * 141)
    with pytest.raises(ValidationError) as excinfo:
        user.full_clean()
    assert "about_me" in excinfo.value.message_dict


def test_bad_mobile_number_is_a_validation_error():
    user = UserFactory.build(mobile="call me")
    with pytest.raises(ValidationError) as excinfo:
        user.full_clean()
    assert "mobile" in excinfo.value.message_dict


def test_unit_of_another_department_is_a_validation_error():
    unit = UnitFactory()
    user = UserFactory.build(unit=unit, department=DepartmentFactory())
    with pytest.raises(ValidationError) as excinfo:
        user.full_clean()
    assert excinfo.value.message_dict["unit"] == ["This unit belongs to another department."]


def test_unit_alone_fills_in_its_department():
    unit = UnitFactory()
    user = UserFactory.build(unit=unit)
    user.full_clean()
    assert user.department == unit.department


def test_self_follow_is_rejected_by_the_database():
    user = UserFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Follow.objects.create(follower=user, followed=user)


def test_duplicate_follow_is_rejected_by_the_database():
    follow = FollowFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Follow.objects.create(follower=follow.follower, followed=follow.followed)


def test_follow_constraints_are_validation_errors_too():
    follow = FollowFactory()
    with pytest.raises(ValidationError, match="Already following"):
        Follow(follower=follow.follower, followed=follow.followed).full_clean()
    with pytest.raises(ValidationError, match="You cannot follow yourself"):
        Follow(follower=follow.follower, followed=follow.follower).full_clean()


def test_following_and_followers_are_the_two_sides_of_follow():
    follow = FollowFactory()
    assert list(follow.follower.following.all()) == [follow.followed]
    assert list(follow.followed.followers.all()) == [follow.follower]
    assert list(follow.follower.followers.all()) == []


def test_every_model_has_a_readable_str():
    follow = FollowFactory(follower__username="ann", followed__username="ben")
    assert str(follow) == "ann follows ben"
    assert str(follow.follower) == "ann"
