"""Every delete rule of the README's table: what is left, what is gone, what is blocked."""

import pytest
from django.db.models import ProtectedError

from accounts.models import Follow, User
from organization.models import Cadre, Department, Designation, Unit
from posts.models import Post
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


def _counts():
    return {m.__name__: m.objects.count() for m in (User, Post, Follow, Department, Unit, Cadre, Designation)}


def test_deleting_a_department_deletes_its_units_and_detaches_its_people():
    unit = UnitFactory()
    department = unit.department
    other_unit = UnitFactory()
    member = UserFactory(department=department, unit=unit)
    department.heads.add(member)

    department.delete()

    assert not Unit.objects.filter(pk=unit.pk).exists()
    assert Unit.objects.filter(pk=other_unit.pk).exists()
    member.refresh_from_db()
    assert (member.department, member.unit) == (None, None)


def test_deleting_a_unit_detaches_its_people_and_keeps_the_department():
    unit = UnitFactory()
    member = UserFactory(department=unit.department, unit=unit)
    unit.heads.add(member)

    unit.delete()

    member.refresh_from_db()
    assert member.unit is None
    assert member.department == unit.department
    assert Department.objects.filter(pk=unit.department_id).exists()


def test_a_cadre_with_designations_cannot_be_deleted_and_nothing_changes():
    designation = DesignationFactory()
    before = _counts()

    with pytest.raises(ProtectedError) as excinfo:
        designation.cadre.delete()

    assert set(excinfo.value.protected_objects) == {designation}
    assert _counts() == before


def test_an_unused_cadre_can_be_deleted():
    cadre = CadreFactory()
    cadre.delete()
    assert not Cadre.objects.filter(pk=cadre.pk).exists()


def test_a_designation_held_by_someone_cannot_be_deleted_and_nothing_changes():
    holder = UserFactory(designation=DesignationFactory())
    before = _counts()

    with pytest.raises(ProtectedError) as excinfo:
        holder.designation.delete()

    assert set(excinfo.value.protected_objects) == {holder}
    assert _counts() == before
    holder.refresh_from_db()
    assert holder.designation is not None


def test_an_unheld_designation_can_be_deleted():
    designation = DesignationFactory()
    designation.delete()
    assert not Designation.objects.filter(pk=designation.pk).exists()


def test_deleting_a_user_deletes_their_posts_and_follows_only():
    gone, stays = UserFactory.create_batch(2)
    PostFactory.create_batch(2, author=gone)
    kept_post = PostFactory(author=stays)
    FollowFactory(follower=gone, followed=stays)
    FollowFactory(follower=stays, followed=gone)
    kept_follow = FollowFactory(follower=stays)
    department = DepartmentFactory()
    department.heads.add(gone)

    gone.delete()

    assert list(Post.objects.all()) == [kept_post]
    assert list(Follow.objects.all()) == [kept_follow]
    assert User.objects.filter(pk=stays.pk).exists()
    assert list(department.heads.all()) == []
    assert Department.objects.filter(pk=department.pk).exists()


def test_deleting_the_creator_or_deactivator_detaches_them():
    admin = UserFactory()
    person = UserFactory(created_by=admin, deactivated_by=admin)

    admin.delete()

    person.refresh_from_db()
    assert (person.created_by, person.deactivated_by) == (None, None)
