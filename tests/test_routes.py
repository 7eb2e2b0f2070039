"""project.routes.Route builds the URL reverse() builds, for every value reverse() takes."""

import pytest
from django.template import Context, Template
from django.urls import NoReverseMatch, reverse, set_script_prefix

from accounts.avatars import avatar_url
from accounts.links import person_links, popup_url, profile_url
from accounts.models import User
from project import routes
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


@pytest.mark.parametrize("username", USERNAMES)
def test_a_persons_links_for_a_page_are_reverses(script_prefix, username):
    person = User(pk=42, username=username)
    assert person_links()(person) == {
        "profile_url": reverse("profile", kwargs={"username": username}),
        "popup_url": reverse("popup", kwargs={"username": username}),
        "avatar_url": reverse("avatar", kwargs={"pk": 42}),
    }


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


@pytest.mark.parametrize("name", ["index", "explore", "logout", "set_language", "notifications"])
def test_the_route_tag_writes_what_the_url_tag_writes(script_prefix, name):
    for _ in range(2):  # the second time from what was kept
        assert Template(f"{{% load routes %}}{{% route '{name}' %}}").render(Context()) == reverse(name)
        assert routes.fixed_url(name) == Template(f"{{% url '{name}' %}}").render(Context())


def test_a_route_with_arguments_is_refused_by_the_route_tag():
    with pytest.raises(NoReverseMatch):
        routes.fixed_url("profile")


def test_what_routes_keep_is_bounded(monkeypatch):
    monkeypatch.setattr(routes, "KEPT", 2)
    monkeypatch.setattr(routes, "_fixed", {})
    monkeypatch.setattr(routes, "_positional", {})
    route = Route("profile", username=str)
    try:
        for prefix in ("/a/", "/b/", "/c/", "/d/"):
            set_script_prefix(prefix)
            assert routes.fixed_url("index") == prefix
            assert route("ana") == f"{prefix}user/ana/"
            assert routes.route_url("avatar", 5) == f"{prefix}avatar/5.svg"
            assert routes.route_url("profile", "ana") == routes.route_url("popup", "ana")[: -len("popup/")]
            assert len(routes._fixed) <= 2 and len(route._around) <= 2 and len(routes._positional) <= 2
    finally:
        set_script_prefix("/")


@pytest.mark.parametrize(
    ("name", "value"),
    [("profile", "ana"), ("profile", "Élodie"), ("profile", "x y"), ("profile", 42), ("avatar", 7), ("unit", 3)],
)
def test_the_route_tag_with_an_argument_writes_what_the_url_tag_writes(script_prefix, name, value):
    context = Context({"value": value})
    for _ in range(2):
        ours = Template(f"{{% load routes %}}{{% route '{name}' value %}}").render(context)
        assert ours == Template(f"{{% url '{name}' value %}}").render(context) == reverse(name, args=[value])


def test_a_value_the_probe_does_not_stand_for_is_reversed_by_reverse():
    assert routes.route_url("unit", "3") == reverse("unit", args=["3"])  # a str for an <int:pk>
    with pytest.raises(NoReverseMatch):
        routes.route_url("unit", "three")
