"""A file of 1,000 people imports within a request's time, in batches: no query per row, let alone per field."""

import csv
import io
import time

import pytest

from accounts.models import User
from accounts.resources import UserResource
from organization import reference_data
from tests.admin_import.helpers import confirm, dry_run, export

pytestmark = pytest.mark.django_db

PEOPLE = 1000
COLUMNS = ["username", "email", "full_name", "employee_id", "department", "unit", "designation", "mobile"]
COLUMNS += ["office_address", "about_me"]
REQUEST_SECONDS = 30  # gunicorn's default worker timeout
# Measured on SQLite: 82 for the preview, 90 for the confirmation, nearly all of them the batched INSERTs
# of people and of their history (SQLite's 999 parameters a statement); per row and field it would be 10,000.
MAX_QUERIES = 200


def thousand_people_csv() -> bytes:
    """1,000 people spread over the reference organization, every column filled."""
    centre = reference_data.DEPARTMENTS[0]
    units = [name for name, _ in centre["units"]]
    designations = [name for names in reference_data.CADRES.values() for name, _ in names]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for n in range(1, PEOPLE + 1):
        writer.writerow(
            [
                f"person{n:04}",
                f"person{n:04}@example.org",
                f"Person {n:04}",
                f"V{n:05}",
                centre["name"],
                units[n % len(units)],
                designations[n % len(designations)],
                f"+91 98{n:08}",
                f"Room {n % 50}, block {n % 7}",
                "Imported in bulk.",
            ]
        )
    return out.getvalue().encode()


def test_a_thousand_people_import_in_batches_within_a_request(
    admin_client, organization, django_assert_max_num_queries
):
    content = thousand_people_csv()

    started = time.perf_counter()
    with django_assert_max_num_queries(MAX_QUERIES) as preview_queries:
        preview = dry_run(admin_client, User, "people-1000.csv", content)
    preview_seconds = time.perf_counter() - started
    assert preview.context.get("confirm_form"), preview.context["result"].invalid_rows[:3]

    started = time.perf_counter()
    with django_assert_max_num_queries(MAX_QUERIES) as confirm_queries:
        response = confirm(admin_client, User, preview)
    confirm_seconds = time.perf_counter() - started

    assert response.status_code == 302
    assert User.objects.filter(username__startswith="person").count() == PEOPLE
    assert User.history.filter(username__startswith="person").count() == PEOPLE
    print(
        f"\n1,000 people: preview {preview_seconds:.1f} s, {len(preview_queries)} queries; "
        f"confirm {confirm_seconds:.1f} s, {len(confirm_queries)} queries"
    )
    assert preview_seconds < REQUEST_SECONDS and confirm_seconds < REQUEST_SECONDS

    started = time.perf_counter()
    with django_assert_max_num_queries(MAX_QUERIES):
        again = dry_run(admin_client, User, "people-1000.csv", content)
    print(f"re-import preview {time.perf_counter() - started:.1f} s")
    assert {row.import_type for row in again.context["result"].valid_rows()} == {"skip"}

    with django_assert_max_num_queries(6):  # session, user, the people with their organization joined
        exported = export(admin_client, User, UserResource, "csv")
    assert len(exported.splitlines()) == PEOPLE + 2  # the header and the admin
