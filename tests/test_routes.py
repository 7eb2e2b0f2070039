"""project.routes.Route builds the URL reverse() builds, for every value reverse() takes."""

import pytest
from django.urls import NoReverseMatch, reverse, set_script_prefix

from accounts.avatars import avatar_url
from accounts.links import popup_url, profile_url
from accounts.models import User
from project.routes import Route

USERNAMES = [
    "ana",
    "Élodie",
    "a.b+c@d",
    "user-1_x",
    "名前",
    "x y",
    "100%",
    "semi;colon",
    "q?s",
    "h#sh",
    "routeprobe918273645",
]


@pytest.fixture(params=["/", "/app/", "/a b/"], ids=["root", "prefix", "quoted-prefix"])
def script_prefix(request):
    set_script_prefix(request.param)
    yield request.param
    set_script_prefix("/")


@pytest.mark.parametrize("username", USERNAMES)
def test_profile_and_popup_links_are_reverses(script_prefix, username):
    person = User(username=username)
    assert profile_url(person) == reverse("profile", kwargs={"username": username})
    assert popup_url(person) == reverse("popup", kwargs={"username": username})
    assert profile_url(person).startswith(reverse("index"))


@pytest.mark.parametrize("pk", [1, 7, 918273645, 2**63 - 1])
def test_avatar_links_are_reverses(script_prefix, pk):
    assert avatar_url(User(pk=pk)) == reverse("avatar", kwargs={"pk": pk})


@pytest.mark.parametrize("value", ["", "a/b"])
def test_a_value_the_route_does_not_take_fails_as_reverse_does(value):
    with pytest.raises(NoReverseMatch):
        Route("profile", username=str)(value)


def test_a_negative_id_fails_as_reverse_does():
    with pytest.raises(NoReverseMatch):
        Route("avatar", pk=int)(-1)
