"""Django's PostgreSQL backend with a connection health check that costs no round trip when all is well.

Django's CONN_HEALTH_CHECKS send `SELECT 1` before the first query of every request that reuses a
persistent connection: one more statement and one more round trip per request. Between requests
nothing arrives on an idle connection, while a server that goes away (restart, crash,
`pg_terminate_backend`) sends its error and closes the socket, which makes the socket readable. So a
quiet socket passes at once; anything else is left to Django's `SELECT 1`, which then decides.
A peer that vanishes without a word (no FIN, no RST) is not noticed here, as it would not be by
`SELECT 1` within a request's time either: the first query fails, and Django drops the connection
at the end of that request.
"""

import select

from django.db.backends.postgresql import base


class DatabaseWrapper(base.DatabaseWrapper):
    def is_usable(self):
        connection = self.connection
        if connection is None or connection.closed or connection.broken:
            return False
        try:
            readable, _, _ = select.select([connection.fileno()], [], [], 0)
        except (OSError, ValueError):
            return False
        return not readable or super().is_usable()
