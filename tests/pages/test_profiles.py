"""Profiles, hover cards, follow / unfollow and the profile editor."""

from datetime import timedelta

import pytest
from django.utils import timezone, translation
from django.utils.formats import date_format

from accounts.models import Follow, User
from tests.factories import (
    DepartmentFactory,
    DesignationFactory,
    FollowFactory,
    PostFactory,
    UnitFactory,
    UserFactory,
)
from tests.pages.helpers import follow_link, text, unlabelled_fields

pytestmark = pytest.mark.django_db


@pytest.fixture
def asha():
    unit = UnitFactory(name="RPC Unit 1")
    return UserFactory(
        username="asha",
        full_name="Asha Rao",
        about_me="Anaesthetist and runner",
        last_seen=timezone.now() - timedelta(hours=3),
        department=unit.department,
        unit=unit,
        designation=DesignationFactory(name="Professor"),
    )


def test_profile_shows_the_person(client, asha):
    FollowFactory.create_batch(2, followed=asha)
    FollowFactory(follower=asha)
    PostFactory(author=asha, body="Grand rounds moved")
    response = client.get("/user/asha/")
    assert response.status_code == 200
    html = text(response)
    assert f'src="/avatar/{asha.pk}.svg"' in html
    for shown in ("asha", "Asha Rao", "Anaesthetist and runner", "Professor", "RPC Unit 1", "Grand rounds moved"):
        assert shown in html
    assert asha.department.name in html
    assert f'href="/organization/unit/{asha.unit_id}/"' in html
    assert f'href="/organization/department/{asha.department_id}/"' in html
    # The date in the reader's language; app.js writes "3 hours ago" over it in the browser.
    seen = timezone.localtime(asha.last_seen)
    with translation.override("en"):  # the page's language
        shown = date_format(seen)
    assert f'Last seen: <time datetime="{seen.isoformat()}" data-relative>{shown}</time>' in html
    assert '<strong class="follower-count">2</strong> followers' in html
    assert '<strong class="following-count">1</strong> following' in html


def test_profile_of_someone_never_seen_says_never(client):
    UserFactory(username="newbie", last_seen=None)
    assert "Last seen: never" in text(client.get("/user/newbie/"))


def test_profile_offers_follow_to_others_with_a_csrf_protected_post_form(signed_in, user, asha):
    html = text(signed_in(user).get("/user/asha/"))
    assert '<form method="post" action="/follow/asha/"' in html
    assert "csrfmiddlewaretoken" in html
    assert 'href="/send_message/asha/"' in html
    assert "Edit profile" not in html


def test_profile_offers_unfollow_when_already_following(signed_in, user, asha):
    FollowFactory(follower=user, followed=asha)
    html = text(signed_in(user).get("/user/asha/"))
    assert 'action="/unfollow/asha/"' in html
    assert 'action="/follow/asha/"' not in html


def test_own_profile_shows_edit_profile_and_no_follow_button(signed_in, asha):
    html = text(signed_in(asha).get("/user/asha/"))
    assert 'href="/edit_profile/"' in html
    assert "Edit profile" in html
    assert "/follow/asha/" not in html
    assert "/send_message/asha/" not in html


def test_anonymous_visitors_see_no_follow_or_message_buttons(client, asha):
    html = text(client.get("/user/asha/"))
    assert "/follow/" not in html
    assert "/send_message/" not in html


def test_unknown_username_is_the_templated_404(client):
    response = client.get("/user/nobody/")
    assert response.status_code == 404
    assert "404.html" in [t.name for t in response.templates]
    assert "Page not found" in text(response)


def test_profile_posts_are_the_persons_own_newest_first_and_paginated(client, asha):
    now = timezone.now()
    for i in range(30):
        PostFactory(author=asha, body=f"mine-{i:02d}", timestamp=now - timedelta(minutes=i))
    PostFactory(body="mine-99")  # someone else's
    first = client.get("/user/asha/")
    html = text(first)
    assert "mine-00" in html
    assert "mine-24" in html
    assert "mine-25" not in html
    assert "mine-99" not in html
    assert html.index("mine-00") < html.index("mine-01")
    second = text(follow_link(client, first, "next"))
    assert "mine-25" in second
    assert "mine-29" in second
    assert "mine-24" not in second


def test_popup_is_a_fragment_with_avatar_link_about_and_last_seen(signed_in, user, asha):
    response = signed_in(user).get("/user/asha/popup/")
    assert response.status_code == 200
    html = text(response)
    assert "<html" not in html
    assert f'src="/avatar/{asha.pk}.svg"' in html
    assert '<a class="fw-semibold" href="/user/asha/">asha</a>' in html
    assert "Anaesthetist and runner" in html
    assert "Last seen: <time" in html
    assert 'action="/follow/asha/"' in html
    assert "Send message" in html
    assert 'href="/send_message/asha/"' in html


def test_popup_offers_unfollow_when_following(signed_in, user, asha):
    FollowFactory(follower=user, followed=asha)
    assert 'action="/unfollow/asha/"' in text(signed_in(user).get("/user/asha/popup/"))


def test_popup_on_yourself_offers_edit_profile(signed_in, asha):
    html = text(signed_in(asha).get("/user/asha/popup/"))
    assert 'href="/edit_profile/"' in html
    assert "/follow/" not in html
    assert "Send message" not in html


def test_popup_for_anonymous_visitors_has_no_buttons(client, asha):
    html = text(client.get("/user/asha/popup/"))
    assert 'href="/user/asha/"' in html
    assert "<form" not in html
    assert "Send message" not in html
    assert "Edit profile" not in html


def test_popup_of_unknown_username_is_404(client):
    assert client.get("/user/nobody/popup/").status_code == 404


def test_follow_creates_the_link_and_redirects_to_the_profile(signed_in, user, asha):
    client = signed_in(user)
    response = client.post("/follow/asha/")
    assert response.status_code == 302
    assert response["Location"] == "/user/asha/"
    assert Follow.objects.filter(follower=user, followed=asha).exists()
    html = text(client.get("/user/asha/"))
    assert "You are following asha." in html
    assert '<strong class="follower-count">1</strong> follower' in html


def test_following_twice_keeps_one_link(signed_in, user, asha):
    client = signed_in(user)
    client.post("/follow/asha/")
    client.post("/follow/asha/")
    assert Follow.objects.count() == 1


def test_unfollow_removes_the_link(signed_in, user, asha):
    FollowFactory(follower=user, followed=asha)
    response = signed_in(user).post("/unfollow/asha/", follow=True)
    assert "You are not following asha." in text(response)
    assert not Follow.objects.exists()


def test_following_yourself_shows_an_error_and_creates_nothing(signed_in, asha):
    response = signed_in(asha).post("/follow/asha/", follow=True)
    assert response.status_code == 200
    assert "You cannot follow yourself." in text(response)
    assert 'class="alert alert-danger"' in text(response)
    assert not Follow.objects.exists()


@pytest.mark.parametrize("action", ["follow", "unfollow"])
def test_follow_and_unfollow_are_post_only(signed_in, user, asha, action):
    assert signed_in(user).get(f"/{action}/asha/").status_code == 405


@pytest.mark.parametrize("action", ["follow", "unfollow"])
def test_follow_and_unfollow_need_sign_in(client, asha, action):
    response = client.post(f"/{action}/asha/")
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next=/{action}/asha/"
    assert not Follow.objects.exists()


@pytest.mark.parametrize("action", ["follow", "unfollow"])
def test_follow_and_unfollow_of_unknown_username_is_404(signed_in, user, action):
    assert signed_in(user).post(f"/{action}/nobody/").status_code == 404


def test_edit_profile_form_has_labelled_username_about_and_contact_fields(signed_in, asha):
    response = signed_in(asha).get("/edit_profile/")
    assert response.status_code == 200
    html = text(response)
    for name in ("username", "full_name", "about_me", "mobile", "mobile2", "mobile3", "email2", "email3"):
        assert f'name="{name}"' in html
    assert 'name="office_address"' in html
    assert 'value="asha"' in html
    assert unlabelled_fields(html) == []


def test_edit_profile_needs_sign_in(client):
    response = client.get("/edit_profile/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/edit_profile/"


def profile_data(**changes):
    data = {"username": "asha", "full_name": "Asha Rao", "about_me": "Hello", "mobile": "+91 98100 12345"}
    data.update({"mobile2": "", "mobile3": "", "email2": "", "email3": "", "office_address": "Room 4"})
    return data | changes


def test_edit_profile_saves_and_redirects_to_the_profile(signed_in, asha):
    client = signed_in(asha)
    response = client.post("/edit_profile/", profile_data(username="asha_r", about_me="New about me"))
    assert response.status_code == 302
    assert response["Location"] == "/user/asha_r/"
    asha.refresh_from_db()
    assert (asha.username, asha.about_me, asha.mobile, asha.office_address) == (
        "asha_r",
        "New about me",
        "+91 98100 12345",
        "Room 4",
    )
    assert "Your profile has been saved." in text(client.get("/user/asha_r/"))


def test_edit_profile_may_change_the_letter_case_of_your_own_username(signed_in, asha):
    assert signed_in(asha).post("/edit_profile/", profile_data(username="Asha")).status_code == 302
    assert User.objects.get(pk=asha.pk).username == "Asha"


@pytest.mark.parametrize("taken", ["ravi", "RAVI", "Ravi"])
def test_edit_profile_rejects_a_username_taken_in_any_letter_case(signed_in, asha, taken):
    UserFactory(username="ravi")
    client = signed_in(asha)
    response = client.post("/edit_profile/", profile_data(username=taken, about_me="Changed"))
    assert response.status_code == 200
    assert "A user with that username already exists." in text(response)
    assert response.context["form"].errors
    asha.refresh_from_db()
    assert (asha.username, asha.about_me) == ("asha", "Anaesthetist and runner")
    assert 'href="/user/asha/">Profile</a>' in text(response)


def test_edit_profile_shows_a_taken_username_on_the_username_field(signed_in, asha):
    UserFactory(username="ravi")
    form = signed_in(asha).post("/edit_profile/", profile_data(username="RAVI")).context["form"]
    assert list(form.errors) == ["username"]


@pytest.mark.parametrize(
    ("field", "value"),
    [("mobile", "call me"), ("email2", "not-an-email"), ("about_me", "x" * 141), ("username", ""), ("username", "a b")],
)
def test_edit_profile_shows_field_errors_and_saves_nothing(signed_in, asha, field, value):
    response = signed_in(asha).post("/edit_profile/", profile_data(**{field: value}, full_name="Changed"))
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert 'class="invalid-feedback d-block"' in text(response)
    asha.refresh_from_db()
    assert asha.full_name == "Asha Rao"


def test_edit_profile_cannot_touch_email_or_organization(signed_in, asha):
    other = DepartmentFactory()
    signed_in(asha).post("/edit_profile/", profile_data(email="x@example.org", department=other.pk, is_staff="on"))
    asha.refresh_from_db()
    assert asha.email == "asha@example.org"
    assert asha.department_id != other.pk
    assert not asha.is_staff
