"""`python -m tests.reliability.people N`, with the server's environment: N people as JSON on stdout.

Each comes with an API token and the key of a signed-in session, made here directly (no password hashing,
no HTTP), so that a load can start at once.
"""

import json
import sys
from importlib import import_module

import django


def main(count: int) -> None:
    django.setup()
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from rest_framework.authtoken.models import Token

    from accounts.models import User

    session_store = import_module(settings.SESSION_ENGINE).SessionStore
    people = []
    for user in User.objects.filter(is_active=True).order_by("pk")[:count]:
        token, _ = Token.objects.get_or_create(user=user)
        session = session_store()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        people.append({"id": user.pk, "username": user.username, "token": token.key, "session": session.session_key})
    json.dump(people, sys.stdout)


if __name__ == "__main__":
    main(int(sys.argv[1]))
