"""Nobody gains privileges through the admin they were not given: a staff member with "Can change user"
edits people, but not a superuser, not anyone's staff or superuser status, groups or permissions."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from accounts.models import User
from tests.admin_import.helpers import dry_run, invalid_rows
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def clerk(client):
    """Staff with only "Can view user" and "Can change user" (and import needs "Can add user")."""
    person = UserFactory(is_staff=True)
    codenames = ["view_user", "change_user", "add_user"]
    person.user_permissions.set(Permission.objects.filter(content_type__app_label="accounts", codename__in=codenames))
    client.force_login(person)
    return person


@pytest.fixture
def superuser():
    return UserFactory(is_staff=True, is_superuser=True, email="root@example.org")


def _change_url(person) -> str:
    return reverse("admin:accounts_user_change", args=[person.pk])


def _form_data(person, **changes) -> dict:
    data = {
        "username": person.username,
        "email": person.email,
        "full_name": person.full_name,
        "is_active": "on",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "00:00:00",
        "initial-date_joined_0": "2026-01-01",
        "initial-date_joined_1": "00:00:00",
    }
    return {**data, **changes}


def test_staff_cannot_change_a_superusers_email(client, clerk, superuser):
    response = client.post(_change_url(superuser), _form_data(superuser, email="mine@example.org"))
    assert response.status_code == 403
    superuser.refresh_from_db()
    assert superuser.email == "root@example.org"


def test_staff_may_look_at_a_superuser_but_the_page_has_no_save(client, clerk, superuser):
    response = client.get(_change_url(superuser))
    assert response.status_code == 200
    assert 'name="_save"' not in response.content.decode()


def test_staff_cannot_set_a_superusers_password(client, clerk, superuser):
    url = reverse("admin:auth_user_password_change", args=[superuser.pk]).replace("auth/user", "accounts/user")
    response = client.post(url, {"password1": "Taken-over-2026", "password2": "Taken-over-2026"})
    assert response.status_code == 403
    superuser.refresh_from_db()
    assert not superuser.check_password("Taken-over-2026")


def test_staff_cannot_delete_a_superuser(client, clerk, superuser):
    clerk.user_permissions.add(Permission.objects.get(codename="delete_user"))
    assert client.post(reverse("admin:accounts_user_delete", args=[superuser.pk]), {"post": "yes"}).status_code == 403
    client.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "delete_selected", "_selected_action": [superuser.pk], "post": "yes"},
    )
    assert User.objects.filter(pk=superuser.pk).exists()


@pytest.mark.parametrize(
    "raise_privileges",
    [{"is_superuser": "on"}, {"is_staff": "on"}, {"groups": "GROUP"}, {"user_permissions": "PERMISSION"}],
    ids=["superuser", "staff", "groups", "permissions"],
)
@pytest.mark.parametrize("whose", ["own", "someone else's"])
def test_staff_cannot_grant_privileges(client, clerk, raise_privileges, whose):
    group = Group.objects.create(name="Everything")
    group.permissions.set(Permission.objects.all())
    target = clerk if whose == "own" else UserFactory()
    values = {"GROUP": str(group.pk), "PERMISSION": str(Permission.objects.get(codename="delete_user").pk)}
    changes = {name: values.get(value, value) for name, value in raise_privileges.items()}
    if whose == "own":
        changes.setdefault("is_staff", "on")  # keep what the clerk has
    response = client.post(_change_url(target), _form_data(target, about_me="changed", **changes))
    assert response.status_code == 302  # the rest of the change is saved …
    target.refresh_from_db()
    assert target.about_me == "changed"
    assert not target.is_superuser  # … the privileges are not
    assert target.is_staff == (whose == "own")
    assert not target.groups.exists()
    assert set(target.user_permissions.values_list("codename", flat=True)) <= {"view_user", "change_user", "add_user"}


def test_a_superuser_still_grants_privileges(client, superuser):
    client.force_login(superuser)
    target = UserFactory()
    response = client.post(_change_url(target), _form_data(target, is_staff="on", is_superuser="on"))
    assert response.status_code == 302
    target.refresh_from_db()
    assert target.is_staff and target.is_superuser


def test_a_spreadsheet_cannot_change_a_superuser_either(client, clerk, superuser):
    content = f"username,email\n{superuser.username},mine@example.org\n".encode()
    preview = dry_run(client, User, "people.csv", content)
    assert "Only a superuser may change a superuser." in str(invalid_rows(preview))
    superuser.refresh_from_db()
    assert superuser.email == "root@example.org"
