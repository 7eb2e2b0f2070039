"""API authentication: DRF's token authentication, with the token read through a prepared query."""

from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions
from rest_framework.authtoken.models import Token

from project.prepared import PreparedQuery

_token_by_key = PreparedQuery(lambda key: Token.objects.select_related("user").filter(key=key), key=str)


class TokenAuthentication(authentication.TokenAuthentication):
    """`Authorization: Token <key>`, as DRF's: the same query and answers, compiled once per worker.

    Every token request runs it first; compiling the token joined to its person took longer than the
    rest of a small API answer.
    """

    def authenticate_credentials(self, key):
        try:
            token = _token_by_key.get(key=key)
        except Token.DoesNotExist:
            raise exceptions.AuthenticationFailed(_("Invalid token.")) from None
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        return (token.user, token)
