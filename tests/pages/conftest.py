import pytest
from django.test import Client

from accounts.models import User
from tests.pages.helpers import sign_in


@pytest.fixture
def signed_in(db):
    """signed_in(user, **client_kwargs) → a Client signed in as `user`, seen just now."""

    def make(user: User, **kwargs) -> Client:
        return sign_in(Client(**kwargs), user)

    return make
