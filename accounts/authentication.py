"""Who a request comes from, read from the shared cache (core.caching) instead of a query on every request:
the person of a session (accounts.signin_guard.GuardedModelBackend.get_user) and of an API token."""

from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token

from accounts.invalidation import account_scope, token_scope
from accounts.models import User
from core.caching import cached, keep, lookup


def person_row(pk: int) -> User | None:
    """Person `pk` as a request's user: every field of their row, kept under the versions of the row (every
    save of it and every `update()` of it bump it: accounts.invalidation) and of the organization's
    (`update()`s that move people), so that a password change, a deactivation or any edit shows at the
    next request, in every worker. Their posts and follows, which the row does not hold, leave it kept."""

    def read() -> User | bool:
        return User.objects.filter(pk=pk).first() or False  # False: none (the cache cannot keep None)

    return cached(f"person-row:{pk}", read, scopes=(account_scope(pk), "org")) or None


class CachedTokenAuthentication(TokenAuthentication):
    """DRF's token authentication with whose a token is, and that person, read from the shared cache.

    A token's person never changes; a token deleted (signed out, revoked) bumps its scope
    (accounts.invalidation), so it is refused at its next request. Unknown keys are not kept.
    """

    def authenticate_credentials(self, key):
        scope = token_scope(key)
        name = f"person-of-{scope}"
        at, person_id = lookup(name, [scope])
        if person_id is None:  # one query, as DRF's: the token with its person
            token = Token.objects.select_related("user").filter(key=key).first()
            person = token.user if token is not None else None
            if person is not None:
                keep(name, at, person.pk)
        else:
            person = person_row(person_id)
        if person is None:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        if not person.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        return person, Token(key=key, user=person)
