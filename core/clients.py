"""Who is asking: the client's address, the same for every counter (API throttles, sign-in lockout,
registration limit)."""

from rest_framework.throttling import BaseThrottle


def client_address(request) -> str:
    """The socket's peer address; behind NUM_PROXIES trusted proxies, the address the outermost of them saw.

    DRF's own rule (`REST_FRAMEWORK["NUM_PROXIES"]`, which the throttles use): with no proxy declared, a
    client's X-Forwarded-For is never believed, so a new one on each request counts as the same client.
    """
    return BaseThrottle().get_ident(request)
