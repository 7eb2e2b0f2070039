"""Password hashes of the Flask apps (Werkzeug): recognised, stored, verified, and replaced at the first sign-in."""

import pytest
from django.contrib.auth.hashers import check_password, get_hasher, identify_hasher, make_password
from werkzeug.security import generate_password_hash

from accounts.hashers import (
    WerkzeugPBKDF2PasswordHasher,
    WerkzeugScryptPasswordHasher,
    django_encoded_werkzeug_hash,
)
from accounts.models import User
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "Flask pässword 42"  # not ASCII: Werkzeug hashes the UTF-8 bytes
WERKZEUG_HASHERS = [
    "accounts.hashers.WerkzeugScryptPasswordHasher",
    "accounts.hashers.WerkzeugPBKDF2PasswordHasher",
]
SALT = "a" * 16
SCRYPT_HEX, SHA256_HEX = "0" * 128, "0" * 64


@pytest.fixture
def werkzeug_hashers(settings):
    """MD5 first, as the rest of the suite has it (fast), with the Werkzeug hashers to verify the imports."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *WERKZEUG_HASHERS]


@pytest.fixture(scope="module")
def werkzeug_hashes() -> dict[str, str]:
    """Real hashes, made once (scrypt and 1,000,000 PBKDF2 iterations take a while)."""
    methods = ("scrypt", "pbkdf2:sha256", "pbkdf2:sha256:1000", "pbkdf2:sha1:1000")
    return {method: generate_password_hash(PASSWORD, method=method) for method in methods}


def _person_with(werkzeug_hash: str) -> User:
    person = UserFactory(username="imported")
    person.password = django_encoded_werkzeug_hash(werkzeug_hash)
    person.save(update_fields=["password"])
    return person


def _stored_hash(person) -> str:
    return User.objects.values_list("password", flat=True).get(pk=person.pk)


# --- Recognising a Werkzeug hash ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "prefix"),
    [
        ("scrypt", "werkzeug_scrypt$scrypt:32768:8:1$"),
        ("pbkdf2:sha256", "werkzeug_pbkdf2$pbkdf2:sha256:1000000$"),  # Werkzeug 3.1 writes its default down
        ("pbkdf2:sha256:1000", "werkzeug_pbkdf2$pbkdf2:sha256:1000$"),
        ("pbkdf2:sha1:1000", "werkzeug_pbkdf2$pbkdf2:sha1:1000$"),
    ],
)
def test_a_werkzeug_hash_is_stored_behind_the_name_of_its_hasher(werkzeug_hashes, method, prefix):
    werkzeug_hash = werkzeug_hashes[method]
    encoded = django_encoded_werkzeug_hash(werkzeug_hash)
    assert encoded == f"{prefix.split('$')[0]}${werkzeug_hash}"
    assert encoded.startswith(prefix)


@pytest.mark.parametrize(
    "value",
    [
        None,
        "",
        "not a hash",
        "hunter2",  # a password in plain text
        f"pbkdf2:sha256${SALT}${SHA256_HEX}",  # no iterations: each Werkzeug version has its own default
        f"pbkdf2${SALT}${SHA256_HEX}",
        f"scrypt${SALT}${SCRYPT_HEX}",  # parameters left out
        f"sha256${SALT}${SHA256_HEX}",  # Werkzeug < 2.3's salted HMAC
        f"plain${SALT}$hunter2",
        f"scrypt:32767:8:1${SALT}${SCRYPT_HEX}",  # n not a power of 2
        f"scrypt:1:8:1${SALT}${SCRYPT_HEX}",
        f"scrypt:16777216:8:1${SALT}${SCRYPT_HEX}",  # 17 GB of memory
        f"scrypt:32768:0:1${SALT}${SCRYPT_HEX}",
        f"scrypt:32768:8:0${SALT}${SCRYPT_HEX}",
        f"scrypt:32768:8${SALT}${SCRYPT_HEX}",
        f"scrypt:32768:8:1${SALT}${SCRYPT_HEX[:-2]}",  # a digest of the wrong length
        f"scrypt:32768:8:1${SALT}${'A' * 128}",  # Werkzeug writes lower-case hex
        f"scrypt:32768:8:1$${SCRYPT_HEX}",  # no salt
        f"scrypt:32768:8:1${'a' * 65}${SCRYPT_HEX}",  # a salt longer than any Werkzeug makes by default
        f"pbkdf2:sha256:0${SALT}${SHA256_HEX}",
        f"pbkdf2:sha256:99999999${SALT}${SHA256_HEX}",  # a hundred times Werkzeug's iterations
        f"pbkdf2:md4:1000${SALT}${'0' * 32}",
        f"pbkdf2:sha256:1000${SALT}${'0' * 40}",  # a SHA-1 length for SHA-256
        f"pbkdf2:sha256:-1000${SALT}${SHA256_HEX}",
        f"pbkdf2:sha256:1000:7${SALT}${SHA256_HEX}",
        f" pbkdf2:sha256:1000${SALT}${SHA256_HEX}",
        f"pbkdf2:sha256:1000${SALT}${SHA256_HEX}\n",
        f"werkzeug_pbkdf2$pbkdf2:sha256:1000${SALT}${SHA256_HEX}",  # already encoded
        "$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW",  # bcrypt
        "argon2$argon2id$v=19$m=102400,t=2,p=8$c29tZXNhbHQ$hash",
    ],
)
def test_anything_else_is_not_recognised(value):
    assert django_encoded_werkzeug_hash(value) is None


def test_the_longest_hash_recognised_fits_the_password_column():
    longest = [
        f"scrypt:1048576:1:1${'s' * 64}${SCRYPT_HEX}",
        f"pbkdf2:sha512:5000000${'s' * 64}${'0' * 128}",
    ]
    column = User._meta.get_field("password").max_length
    assert column == 256
    for werkzeug_hash in longest:
        assert len(django_encoded_werkzeug_hash(werkzeug_hash)) <= column


# --- Verifying --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["scrypt", "pbkdf2:sha256", "pbkdf2:sha256:1000", "pbkdf2:sha1:1000"])
def test_the_right_password_verifies_and_a_wrong_one_does_not(werkzeug_hashers, werkzeug_hashes, method):
    encoded = django_encoded_werkzeug_hash(werkzeug_hashes[method])
    assert check_password(PASSWORD, encoded)
    assert not check_password(PASSWORD.upper(), encoded)
    assert not check_password("", encoded)
    assert not check_password("\ud800", encoded)  # a lone surrogate: no UTF-8, refused rather than raising


def test_identify_hasher_finds_them_by_their_prefix(werkzeug_hashers, werkzeug_hashes):
    assert isinstance(
        identify_hasher(django_encoded_werkzeug_hash(werkzeug_hashes["scrypt"])), WerkzeugScryptPasswordHasher
    )
    pbkdf2 = django_encoded_werkzeug_hash(werkzeug_hashes["pbkdf2:sha1:1000"])
    assert isinstance(identify_hasher(pbkdf2), WerkzeugPBKDF2PasswordHasher)


@pytest.mark.parametrize(
    ("hasher", "encoded"),
    [
        (WerkzeugScryptPasswordHasher, f"werkzeug_scrypt$scrypt:3:8:1${SALT}${SCRYPT_HEX}"),
        (WerkzeugScryptPasswordHasher, f"werkzeug_scrypt$scrypt:16777216:8:1${SALT}${SCRYPT_HEX}"),
        (WerkzeugScryptPasswordHasher, f"werkzeug_scrypt$scrypt${SALT}${SCRYPT_HEX}"),
        (WerkzeugScryptPasswordHasher, f"werkzeug_scrypt$pbkdf2:sha256:1000${SALT}${SHA256_HEX}"),  # the other's
        (WerkzeugScryptPasswordHasher, "werkzeug_scrypt$garbage"),
        (WerkzeugScryptPasswordHasher, "werkzeug_scrypt"),
        (WerkzeugPBKDF2PasswordHasher, f"werkzeug_pbkdf2$pbkdf2:sha256:0${SALT}${SHA256_HEX}"),
        (WerkzeugPBKDF2PasswordHasher, f"werkzeug_pbkdf2$pbkdf2:sha256:999999999${SALT}${SHA256_HEX}"),
        (WerkzeugPBKDF2PasswordHasher, f"werkzeug_pbkdf2$pbkdf2:nosuchhash:1000${SALT}${SHA256_HEX}"),
        (WerkzeugPBKDF2PasswordHasher, f"werkzeug_scrypt$pbkdf2:sha256:1000${SALT}${SHA256_HEX}"),  # wrong prefix
    ],
)
def test_absurd_or_broken_hashes_never_verify_and_never_raise(hasher, encoded):
    assert hasher().verify(PASSWORD, encoded) is False
    assert hasher().safe_summary(encoded) == {"algorithm": hasher.algorithm}  # the admin's page still shows


def test_they_never_make_a_hash(werkzeug_hashers):
    for algorithm in ("werkzeug_scrypt", "werkzeug_pbkdf2"):
        with pytest.raises(NotImplementedError, match="only verifies password hashes imported"):
            make_password(PASSWORD, hasher=algorithm)


def test_the_summary_masks_the_salt_and_the_hash(werkzeug_hashers, werkzeug_hashes):
    scrypt = django_encoded_werkzeug_hash(werkzeug_hashes["scrypt"])
    salt, digest = werkzeug_hashes["scrypt"].split("$")[1:]
    summary = get_hasher("werkzeug_scrypt").safe_summary(scrypt)
    assert summary == {
        "algorithm": "werkzeug_scrypt",
        "work factor": 32768,
        "block size": 8,
        "parallelism": 1,
        "salt": salt[:6] + "*" * (len(salt) - 6),
        "hash": digest[:6] + "*" * (len(digest) - 6),
    }
    pbkdf2 = get_hasher("werkzeug_pbkdf2").safe_summary(
        django_encoded_werkzeug_hash(werkzeug_hashes["pbkdf2:sha1:1000"])
    )
    assert (pbkdf2["algorithm"], pbkdf2["iterations"]) == ("werkzeug_pbkdf2 (sha1)", 1000)
    assert set(pbkdf2["hash"]) - {"*"} <= set("0123456789abcdef") and pbkdf2["hash"].count("*") == 34


def test_they_always_ask_to_be_replaced(werkzeug_hashers, werkzeug_hashes):
    assert get_hasher("werkzeug_scrypt").must_update(django_encoded_werkzeug_hash(werkzeug_hashes["scrypt"]))
    assert get_hasher("werkzeug_pbkdf2").must_update(django_encoded_werkzeug_hash(werkzeug_hashes["pbkdf2:sha1:1000"]))


# --- On the real database, and signing in ----------------------------------------------------------------------


def test_a_scrypt_hash_longer_than_djangos_128_characters_is_stored_whole(werkzeug_hashes):
    person = _person_with(werkzeug_hashes["scrypt"])
    assert len(person.password) > 128
    assert _stored_hash(person) == person.password


def test_signing_in_for_an_api_token_with_the_flask_password_replaces_the_hash(
    werkzeug_hashers, werkzeug_hashes, api_client
):
    person = _person_with(werkzeug_hashes["scrypt"])
    wrong = api_client.post("/api/auth/token/", {"username": "imported", "password": "not it"})
    assert wrong.status_code == 400
    assert _stored_hash(person).startswith("werkzeug_scrypt$")

    response = api_client.post("/api/auth/token/", {"username": "imported", "password": PASSWORD})
    assert response.status_code == 200
    assert response.json()["token"]
    assert _stored_hash(person).startswith("md5$")  # the first of PASSWORD_HASHERS here
    again = api_client.post("/api/auth/token/", {"username": "imported", "password": PASSWORD})
    assert again.status_code == 200


@pytest.mark.parametrize("method", ["scrypt", "pbkdf2:sha256:1000"])
def test_signing_in_on_the_page_with_the_flask_password_replaces_the_hash(
    werkzeug_hashers, werkzeug_hashes, client, method
):
    person = _person_with(werkzeug_hashes[method])
    assert client.post("/accounts/login/", {"username": "imported", "password": "not it"}).status_code == 200
    response = client.post("/accounts/login/", {"username": "imported", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get("/edit_profile/").status_code == 200  # signed in
    assert _stored_hash(person).startswith("md5$")


def test_with_the_projects_hashers_the_flask_password_becomes_an_argon2_hash(settings, werkzeug_hashes, client):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher", *WERKZEUG_HASHERS]
    person = _person_with(werkzeug_hashes["scrypt"])
    response = client.post("/accounts/login/", {"username": "imported", "password": PASSWORD})
    assert response.status_code == 302
    assert _stored_hash(person).startswith("argon2$argon2id$")
    client.post("/accounts/logout/")
    assert client.post("/accounts/login/", {"username": "imported", "password": PASSWORD}).status_code == 302


def test_the_project_hashes_with_argon2_and_verifies_werkzeug_hashes_too():
    from project import settings as project_settings  # the module: the suite's fixture replaces the setting

    hashers = project_settings.PASSWORD_HASHERS
    assert hashers[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    assert hashers[-2:] == WERKZEUG_HASHERS
