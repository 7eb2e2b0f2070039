"""The interface in English and Hindi (issue #8): the language chosen, the switcher, translated pages and API
answers, and a Hindi catalogue that is complete and compiled."""

import gettext
import re
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import OperationalError
from django.test import Client

from accounts.models import User
from tests.factories import FollowFactory, PostFactory, UserFactory
from tests.pages.helpers import count_queries, sign_in, text

pytestmark = pytest.mark.django_db

ROOT = Path(settings.BASE_DIR)
PO = ROOT / "locale" / "hi" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")
# How the catalogue is updated (the README says the same): file-only locations keep the diffs small.
MAKEMESSAGES = ["makemessages", "-l", "hi", "--add-location", "file", "--ignore", "tests", "--ignore", "bench"]
GETTEXT_TOOLS = ("xgettext", "msgmerge", "msgfmt")
PASSWORD = "correct horse battery staple"  # UserFactory's


def _html_lang(response) -> str:
    return re.search(r'<html lang="([^"]*)"', text(response)).group(1)


def _set_language(client, language, next_url="/explore/"):
    return client.post("/i18n/setlang/", {"language": language, "next": next_url})


def _needs_gettext_tools():
    missing = [tool for tool in GETTEXT_TOOLS if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"GNU gettext tools missing ({', '.join(missing)}): apt-get install gettext")


# --- Which language a page is in ---------------------------------------------------------------------


def test_english_without_a_preference_or_header(client):
    response = client.get("/explore/")
    assert _html_lang(response) == "en"
    assert ">Explore</a>" in text(response)
    assert response["Content-Language"] == "en"


def test_accept_language_hi_shows_the_navigation_in_hindi(client):
    response = client.get("/explore/", HTTP_ACCEPT_LANGUAGE="hi")
    html = text(response)
    assert _html_lang(response) == "hi"
    assert response["Content-Language"] == "hi"
    for word in ("होम", "एक्सप्लोर", "संगठन", "साइन इन करें", "रजिस्टर करें", "भाषा बदलें"):
        assert word in html
    assert ">Explore</a>" not in html
    assert "Accept-Language" in response["Vary"]


def test_an_unsupported_language_falls_back_to_english(client):
    assert _html_lang(client.get("/explore/", HTTP_ACCEPT_LANGUAGE="fr-FR,fr;q=0.9")) == "en"


def test_the_switcher_lists_each_language_in_its_own_name(client):
    html = text(client.get("/explore/", HTTP_ACCEPT_LANGUAGE="hi"))
    assert '<option value="en" lang="en">English</option>' in html
    assert '<option value="hi" lang="hi" selected>हिन्दी</option>' in html
    assert 'name="next" value="/explore/"' in html


# --- The switcher ------------------------------------------------------------------------------------------


def test_switcher_sets_the_cookie_and_returns_to_the_page(client):
    response = _set_language(client, "hi")
    assert response.status_code == 302
    assert response["Location"] == "/explore/"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "hi"
    # The cookie wins over the browser's header.
    assert _html_lang(client.get("/explore/", HTTP_ACCEPT_LANGUAGE="en")) == "hi"


def test_switcher_is_post_only(client):
    assert client.get("/i18n/setlang/?language=hi").status_code == 405


def test_switcher_saves_a_signed_in_persons_choice_which_then_wins_over_accept_language():
    person = UserFactory()
    _set_language(sign_in(Client(), person), "hi")
    person.refresh_from_db()
    assert person.language == "hi"
    # Another browser: no language cookie, an English Accept-Language; the saved choice wins.
    other_browser = sign_in(Client(), person)
    response = other_browser.get("/", HTTP_ACCEPT_LANGUAGE="en")
    assert _html_lang(response) == "hi"
    assert "नमस्ते, " in text(response)
    # Switching back to English is saved as well.
    _set_language(other_browser, "en")
    person.refresh_from_db()
    assert person.language == "en"
    assert _html_lang(sign_in(Client(), person).get("/", HTTP_ACCEPT_LANGUAGE="hi")) == "en"


def test_an_unknown_language_changes_nothing(client):
    person = UserFactory()
    response = _set_language(sign_in(client, person), "xx")
    assert response.status_code == 302
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies
    person.refresh_from_db()
    assert person.language == ""


def test_a_saved_preference_costs_no_query(signed_in):
    """The middleware reads request.user, which LastSeenMiddleware loads on every request anyway."""
    plain, hindi = UserFactory(), UserFactory(language="hi")
    cache.clear()  # both read the page's rows: neither finds them cached
    plain_count = count_queries(signed_in(plain), "/explore/")
    cache.clear()
    assert plain_count == count_queries(signed_in(hindi), "/explore/")


def test_a_database_that_is_down_is_still_a_503_not_a_500(client, monkeypatch):
    """UserLanguageMiddleware reads request.user before the view; a database that is down stays a 503 there."""

    def unreachable(request):
        raise OperationalError("the database is down")

    monkeypatch.setattr("django.contrib.auth.middleware.auth.get_user", unreachable)
    response = client.get("/explore/", HTTP_ACCEPT_LANGUAGE="hi")
    assert response.status_code == 503
    assert _html_lang(response) == "hi"
    assert '<h1 class="h3">कुछ समय के लिए उपलब्ध नहीं</h1>' in text(response)


def test_signing_out_keeps_the_chosen_language(client):
    person = UserFactory()
    _set_language(sign_in(client, person), "hi")
    client.post("/accounts/logout/")
    assert _html_lang(client.get("/")) == "hi"


# --- Translated pages ----------------------------------------------------------------------------------


def test_messages_form_errors_and_plurals_in_hindi():
    reader, author = UserFactory(language="hi"), UserFactory(username="meera")
    client = sign_in(Client(), reader)
    response = client.post(f"/follow/{author.username}/", follow=True)
    assert "आप meera को फ़ॉलो कर रहे हैं।" in text(response)
    assert '<strong class="follower-count">1</strong> फ़ॉलोअर ·' in text(response)
    FollowFactory(followed=author)
    assert '<strong class="follower-count">2</strong> फ़ॉलोअर्स ·' in text(client.get(f"/user/{author.username}/"))
    response = client.post("/", {"body": ""})
    assert "यह फ़ील्ड ज़रूरी है।" in text(response)  # Django's own message, from our catalogue


def test_dates_are_in_hindi_before_the_browser_makes_them_relative(client):
    PostFactory(timestamp=datetime(2026, 3, 5, 10, 30, tzinfo=UTC))
    html = text(client.get("/explore/", HTTP_ACCEPT_LANGUAGE="hi"))
    assert '<time datetime="2026-03-05T10:30:00+00:00" data-relative>5 मार्च 2026</time>' in html
    html = text(client.get("/explore/", HTTP_ACCEPT_LANGUAGE="en"))
    assert '<time datetime="2026-03-05T10:30:00+00:00" data-relative>March 5, 2026</time>' in html


def test_the_character_counter_gets_its_texts_in_the_pages_language():
    html = text(sign_in(Client(), UserFactory(language="hi")).get("/"))
    assert 'data-counter-one="{count} अक्षर बाकी"' in html
    assert 'data-counter-other="{count} अक्षर बाकी"' in html
    html = text(sign_in(Client(), UserFactory()).get("/"))
    assert 'data-counter-one="{count} character left" data-counter-other="{count} characters left"' in html


def test_the_sign_in_page_and_its_errors_in_hindi(client):
    person = UserFactory()
    response = client.post(
        "/accounts/login/", {"username": person.username, "password": "wrong"}, HTTP_ACCEPT_LANGUAGE="hi"
    )
    html = text(response)
    assert "कृपया सही उपयोगकर्ता नाम और पासवर्ड लिखें।" in html
    assert "मुझे याद रखें" in html


def test_the_password_reset_email_is_in_the_language_of_the_request(client, mailoutbox):
    person = UserFactory(email="asha@example.org")
    client.post("/accounts/password_reset/", {"email": person.email}, HTTP_ACCEPT_LANGUAGE="hi")
    (mail,) = mailoutbox
    assert mail.subject.endswith("पर पासवर्ड रीसेट")
    assert "आपको यह ईमेल इसलिए मिला है" in mail.body
    assert "हमारी साइट इस्तेमाल करने के लिए धन्यवाद!" in mail.body


# --- The API -----------------------------------------------------------------------------------------------


def test_api_errors_in_hindi(api_client, client_for):
    hindi = {"HTTP_ACCEPT_LANGUAGE": "hi"}
    assert api_client.get("/api/users/999999/", **hindi).json() == {"detail": "नहीं मिला।"}
    assert api_client.get("/api/users/999999/").json() == {"detail": "Not found."}
    assert api_client.get("/api/no-such-thing/", **hindi).json() == {"detail": "नहीं मिला।"}
    assert api_client.post("/api/users/", {}, **hindi).json()["username"] == ["यह फ़ील्ड ज़रूरी है।"]
    assert api_client.get("/api/feed/", **hindi).json() == {"detail": "प्रमाणीकरण की जानकारी नहीं दी गई।"}
    person = UserFactory()
    response = client_for(person).post(f"/api/users/{person.pk}/follow/", **hindi)
    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["आप ख़ुद को फ़ॉलो नहीं कर सकते।"]}


def test_api_sign_in_throttle_in_hindi_with_its_wait(api_client, settings, monkeypatch):
    monkeypatch.setattr("rest_framework.throttling.SimpleRateThrottle.THROTTLE_RATES", {"token": "1000/min"})
    settings.SIGNIN_FAILURE_LIMIT = 1
    person = UserFactory()
    credentials = {"username": person.username, "password": "wrong"}
    response = api_client.post("/api/auth/token/", credentials, HTTP_ACCEPT_LANGUAGE="hi")
    assert response.json() == {"non_field_errors": ["दिए गए उपयोगकर्ता नाम और पासवर्ड से साइन इन नहीं हो सका।"]}
    response = api_client.post("/api/auth/token/", credentials, HTTP_ACCEPT_LANGUAGE="hi")
    assert response.status_code == 429
    wait = settings.SIGNIN_FAILURE_WINDOW
    assert response.json() == {"detail": f"साइन इन की बहुत सारी कोशिशें नाकाम रहीं। {wait} सेकंड बाद फिर कोशिश करें।"}
    response = api_client.post("/api/auth/token/", credentials)
    assert response.json() == {"detail": f"Too many failed sign-in attempts. Expected available in {wait} seconds."}


def test_drf_throttles_answer_in_hindi_too(api_client, monkeypatch):
    monkeypatch.setattr("rest_framework.throttling.SimpleRateThrottle.THROTTLE_RATES", {"anon": "1/min"})
    api_client.get("/api/posts/")
    response = api_client.get("/api/posts/", HTTP_ACCEPT_LANGUAGE="hi")
    assert response.status_code == 429
    assert re.fullmatch(r"बहुत सारे अनुरोध आए, सीमा पार हो गई। \d+ सेकंड बाद फिर कोशिश करें।", response.json()["detail"])
    assert int(response["Retry-After"]) > 0


# --- The catalogue -----------------------------------------------------------------------------------------


def _statistics(po: Path) -> str:
    """msgfmt's count of translated, fuzzy and untranslated messages (it also checks the placeholders)."""
    result = subprocess.run(
        ["msgfmt", "--check", "--statistics", "-o", "/dev/null", str(po)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    return result.stderr.strip().splitlines()[-1]


def test_the_hindi_catalogue_is_complete_and_its_placeholders_match():
    _needs_gettext_tools()
    assert re.fullmatch(r"\d+ translated messages\.", _statistics(PO))
    assert "#, fuzzy" not in PO.read_text(encoding="utf-8")


def test_the_committed_mo_is_compiled_from_the_committed_po(tmp_path):
    """The same catalogue (compared as messages, not as bytes: msgfmt versions lay files out differently)."""
    _needs_gettext_tools()
    fresh = tmp_path / "django.mo"
    subprocess.run(["msgfmt", "--check", "-o", str(fresh), str(PO)], check=True)
    with MO.open("rb") as committed, fresh.open("rb") as compiled:
        assert gettext.GNUTranslations(committed)._catalog == gettext.GNUTranslations(compiled)._catalog


def test_makemessages_finds_nothing_new_and_nothing_stale(tmp_path):
    """makemessages on a copy of the project: every message of the code is translated and none is left over."""
    _needs_gettext_tools()
    copy = tmp_path / "project"
    shutil.copytree(
        ROOT,
        copy,
        ignore=shutil.ignore_patterns(
            ".*", "__pycache__", "staticfiles", "media", "var", "test-artifacts", "node_modules", "db.sqlite3*", "*.mo"
        ),
    )
    result = subprocess.run(
        [sys.executable, "manage.py", *MAKEMESSAGES], cwd=copy, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    po = copy / PO.relative_to(ROOT)
    assert _statistics(po) == _statistics(PO), "new or changed messages: run makemessages and translate them"
    obsolete = re.findall(r'^#~ msgid "(.*)"', po.read_text(encoding="utf-8"), re.MULTILINE)
    assert obsolete == [], "messages no longer in the code: run makemessages"


def test_every_language_has_its_catalogue():
    for code, _ in settings.LANGUAGES:
        if code != settings.LANGUAGE_CODE:
            assert (ROOT / "locale" / code / "LC_MESSAGES" / "django.mo").is_file(), code


def test_a_user_language_outside_languages_is_refused():
    person = UserFactory()
    person.language = "xx"
    with pytest.raises(ValidationError, match="language"):
        person.full_clean()
    assert User.objects.get(pk=person.pk).language == ""
