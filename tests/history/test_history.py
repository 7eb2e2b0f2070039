"""Change history: who changed what and when, in the admin's history view; created_by and deactivated_by."""

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import User
from organization.models import Department, Designation
from tests.factories import DesignationFactory, UserFactory

pytestmark = pytest.mark.django_db


def admin_url(obj, view: str) -> str:
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_{view}", args=[obj.pk])


def change_form_data(response) -> dict:
    """What the change form would post back unchanged (the page a browser got)."""
    form = response.context["adminform"].form
    data = {}
    for name, field in form.fields.items():
        value = form[name].value()
        if field.disabled or value in (None, False):
            continue
        data[name] = "on" if value is True else value
    return data


def admin_change(client, obj, **changes):
    url = admin_url(obj, "change")
    data = change_form_data(client.get(url)) | changes
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    return response


def test_an_admin_change_records_the_user_and_the_changed_fields(admin_client, admin_user):
    person = UserFactory(full_name="Old Name", about_me="Hello")

    admin_change(admin_client, person, full_name="New Name", mobile="+91 98100 12345")

    latest = person.history.first()
    assert (latest.history_type, latest.history_user) == ("~", admin_user)
    delta = latest.diff_against(latest.prev_record)
    assert sorted(delta.changed_fields) == ["full_name", "mobile"]
    assert {(c.field, c.old, c.new) for c in delta.changes} >= {("full_name", "Old Name", "New Name")}


def test_the_history_page_shows_who_changed_which_fields(admin_client, admin_user):
    person = UserFactory(full_name="Old Name")
    admin_change(admin_client, person, full_name="New Name")

    response = admin_client.get(admin_url(person, "history"))

    assert response.status_code == 200
    content = response.content.decode()
    assert f'<a href="{admin_url(admin_user, "change")}">admin</a>' in content  # "Changed by"
    assert "<strong>Full name:</strong>" in content
    assert "Old Name" in content and "New Name" in content
    assert "password" not in content.split('id="change-history"')[1]  # hashes are never kept


def test_an_organization_change_is_in_its_history_page(admin_client, admin_user):
    designation = DesignationFactory(name="Lecturer", abbr="Lect")

    admin_change(admin_client, designation, abbr="Lctr")

    latest = designation.history.first()
    assert latest.history_user == admin_user
    assert latest.diff_against(latest.prev_record).changed_fields == ["abbr"]
    content = admin_client.get(admin_url(designation, "history")).content.decode()
    assert "<strong>Abbreviation:</strong>" in content and "Lctr" in content


def test_a_history_record_is_shown_but_cannot_be_restored(admin_client):
    person = UserFactory(full_name="Old Name")
    admin_change(admin_client, person, full_name="New Name")
    record = person.history.last()
    url = reverse("admin:accounts_user_simple_history", args=[person.pk, record.history_id])

    response = admin_client.get(url)
    assert response.status_code == 200
    assert "Revert" not in response.content.decode()
    assert admin_client.post(url, {"username": person.username, "full_name": "Old Name"}).status_code == 405
    person.refresh_from_db()
    assert person.full_name == "New Name" and person.has_usable_password()


def test_saving_without_a_change_writes_no_history(admin_client):
    designation = DesignationFactory()
    admin_change(admin_client, designation)
    assert designation.history.count() == 1  # its creation only


def test_admin_add_fills_created_by(admin_client, admin_user):
    response = admin_client.post(
        reverse("admin:accounts_user_add"),
        {
            "username": "newbie",
            "email": "newbie@example.org",
            "password1": "a long passphrase 42",
            "password2": "a long passphrase 42",
        },
    )

    assert response.status_code == 302
    newbie = User.objects.get(username="newbie")
    assert newbie.created_by == admin_user
    assert newbie.history.get().history_user == admin_user


def test_deactivating_in_admin_fills_deactivated_by_and_reactivating_clears_it(admin_client, admin_user):
    person = UserFactory()

    admin_change(admin_client, person, is_active="")  # the box unticked
    person.refresh_from_db()
    assert (person.is_active, person.deactivated_by) == (False, admin_user)
    assert person.deactivated_at is not None
    assert person.history.first().history_user == admin_user

    data = change_form_data(admin_client.get(admin_url(person, "change")))
    admin_client.post(admin_url(person, "change"), data | {"is_active": "on"})
    person.refresh_from_db()
    assert (person.is_active, person.deactivated_by, person.deactivated_at) == (True, None, None)
    assert person.history.filter(is_active=False, deactivated_by=admin_user).exists()  # the history keeps it


def test_other_admin_changes_keep_the_deactivation(admin_client, admin_user):
    person = UserFactory()
    admin_change(admin_client, person, is_active="")
    stamp = User.objects.get(pk=person.pk).deactivated_at

    admin_change(admin_client, person, full_name="Renamed")

    person.refresh_from_db()
    assert (person.deactivated_by, person.deactivated_at) == (admin_user, stamp)


def test_signing_in_writes_no_history(client):
    person = UserFactory()
    client.force_login(person)  # saves last_login, which the history leaves out
    assert client.login(username=person.username, password="correct horse battery staple")
    assert person.history.count() == 1


def test_seed_db_twice_adds_no_history_and_volume_mode_writes_none():
    call_command("seed_db", verbosity=0)
    counts = (Department.history.count(), Designation.history.count(), User.history.count())
    assert counts[0] == Department.objects.count()  # one creation record each

    call_command("seed_db", verbosity=0)
    assert (Department.history.count(), Designation.history.count(), User.history.count()) == counts

    call_command("seed_db", users=50, posts_per_user=1, verbosity=0)  # bulk writes: no history, deliberately
    assert User.history.count() == counts[2]


def test_an_api_change_records_the_token_user(client_for):
    person = UserFactory(about_me="Before")

    response = client_for(person).patch(f"/api/users/{person.pk}/", {"about_me": "After"})

    assert response.status_code == 200
    latest = person.history.first()
    assert (latest.history_user, latest.about_me) == (person, "After")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a plan of PostgreSQL's")
@pytest.mark.parametrize("factory", [UserFactory, DesignationFactory], ids=["person", "designation"])
def test_the_latest_record_of_an_object_is_read_from_its_index_without_a_sort(factory):
    """What every update reads (core.history.ChangeHistory): one index entry, not all of the object's records."""
    obj = factory()
    for n in range(5):
        obj.full_name = obj.name = f"Name {n}"  # a tracked field of each model
        obj.save()
    with CaptureQueriesContext(connection) as captured:
        latest = obj.history.first()
    assert latest.history_type == "~"
    (query,) = captured.captured_queries
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # a tiny table: ask whether the index can answer
        cursor.execute("EXPLAIN " + query["sql"])
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert f"hist_{obj._meta.model_name}_latest" in plan and "Sort" not in plan, plan


def history_reads(captured) -> list[str]:
    return [q["sql"] for q in captured.captured_queries if q["sql"].startswith("SELECT") and "historical" in q["sql"]]


@pytest.mark.parametrize("factory", [UserFactory, DesignationFactory], ids=["person", "designation"])
def test_a_change_of_what_was_read_is_recorded_without_reading_the_history(factory):
    """core.history.LoadedValues: the row as read tells a certain change; the latest record is not read."""
    obj = type(factory()).objects.get()
    obj.full_name = obj.name = "Changed"

    with CaptureQueriesContext(connection) as captured:
        obj.save()

    assert history_reads(captured) == []
    assert obj.history.count() == 2 and obj.history.first().history_type == "~"


def test_saving_the_values_as_read_reads_the_latest_record_and_records_nothing():
    person = User.objects.get(pk=UserFactory(about_me="Same").pk)

    with CaptureQueriesContext(connection) as captured:
        person.save()

    assert len(history_reads(captured)) == 1
    assert person.history.count() == 1


def test_a_second_save_of_the_same_change_records_nothing():
    """After a save, the instance's values are what the row holds: saving them again is no change."""
    person = User.objects.get(pk=UserFactory(about_me="One").pk)
    person.about_me = "Two"
    person.save(update_fields=["about_me"])
    person.save()
    person.about_me = "One"
    person.save()

    assert [record.about_me for record in person.history.all()] == ["One", "Two", "One"]


def test_a_refreshed_instance_compares_with_the_row_as_refreshed():
    person = User.objects.get(pk=UserFactory(about_me="Before").pk)
    User.objects.filter(pk=person.pk).update(about_me="Meanwhile")  # no signal, no history
    person.refresh_from_db()

    person.save()  # the values the row has: compared with the latest record, which says "Before"

    assert [record.about_me for record in person.history.all()] == ["Meanwhile", "Before"]


def test_a_person_without_history_gets_a_record_at_their_first_save():
    call_command("seed_db", users=3, posts_per_user=0, verbosity=0)  # bulk writes: no history
    recorded = User.history.values("id")
    person = User.objects.exclude(pk__in=recorded).first()
    assert person.history.count() == 0

    person.save()

    assert person.history.count() == 1
