"""A real task worker run inside the test process."""

import signal

from django.core.management import call_command

# The signals django-tasks-db's worker takes over (SIGQUIT where the platform has it).
WORKER_SIGNALS = [signal.SIGINT, signal.SIGTERM, *([signal.SIGQUIT] if hasattr(signal, "SIGQUIT") else [])]


def run_database_worker() -> None:
    """`manage.py db_worker --batch`: run every task queued in the database, then return.

    The worker installs its own handlers for SIGINT, SIGTERM and SIGQUIT (to finish the task at hand);
    they are put back afterwards, so that Ctrl-C still stops pytest.
    """
    saved = {signum: signal.getsignal(signum) for signum in WORKER_SIGNALS}
    try:
        call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)
    finally:
        for signum, handler in saved.items():
            signal.signal(signum, handler)
