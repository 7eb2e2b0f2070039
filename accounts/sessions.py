"""The session engine: Django's database sessions, with the session row read through a prepared query."""

import datetime
import logging

from django.contrib.sessions.backends import db
from django.contrib.sessions.models import Session
from django.core.exceptions import SuspiciousOperation
from django.utils import timezone

from project.prepared import PreparedQuery

_live_session = PreparedQuery(
    lambda key, now: Session.objects.filter(session_key=key, expire_date__gt=now), key=str, now=datetime.datetime
)


class SessionStore(db.SessionStore):
    """Django's database SessionStore; every signed-in request reads its session row, compiled once here."""

    def _get_session_from_db(self):
        try:
            return _live_session.get(key=self.session_key, now=timezone.now())
        except (Session.DoesNotExist, SuspiciousOperation) as exc:
            if isinstance(exc, SuspiciousOperation):
                logging.getLogger(f"django.security.{exc.__class__.__name__}").warning(str(exc))
            self._session_key = None
