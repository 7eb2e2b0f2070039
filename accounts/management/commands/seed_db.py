"""manage.py seed_db: reference organization, demo people, or volume data."""

import getpass
import os
import sys
import time

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from tqdm import tqdm

from accounts import seeding
from accounts.models import User
from core.caching import invalidate_all
from organization.services import reference_organization_load

SUPERUSER_PASSWORD_ENV = "DJANGO_SUPERUSER_PASSWORD"
DEMO_PASSWORD_ENV = "SEED_DEMO_PASSWORD"
# The demo people's password in development (DEBUG=True) when SEED_DEMO_PASSWORD is not set, so that the
# quick start ends with people to sign in as. Never with DEBUG=False: there they get an unusable one.
DEVELOPMENT_DEMO_PASSWORD = "demo-password"


class Command(BaseCommand):
    help = (
        "Load the reference organization (departments, units, cadres, designations, role groups) and demo "
        "people with posts and follows; idempotent. With --users, generate volume data instead of demo people. "
        "Everything runs in one transaction: an error leaves the database as it was."
    )

    def add_arguments(self, parser):
        volume = parser.add_argument_group("volume mode")
        volume.add_argument("--users", type=int, help="Generate this many people (instead of the demo people).")
        volume.add_argument("--posts-per-user", type=int, default=0, help="Posts for each generated person.")
        volume.add_argument("--follows-per-user", type=int, default=0, help="Follows for each generated person.")
        volume.add_argument("--seed", type=int, default=0, help="Random seed, for reproducible data (default 0).")
        parser.add_argument(
            "--superuser",
            action="store_true",
            help=f"Also create a demo superuser; its password comes from ${SUPERUSER_PASSWORD_ENV} or a prompt.",
        )
        parser.add_argument("--superuser-username", default="admin", help="Username of that superuser.")
        parser.add_argument(
            "--noinput", "--no-input", action="store_false", dest="interactive", help="Never prompt for input."
        )

    def handle(self, *args, **options):
        self._check_counts(options)
        superuser_password = self._superuser_password(options) if options["superuser"] else None
        chosen_password = os.environ.get(DEMO_PASSWORD_ENV) or None
        demo_password = chosen_password or (DEVELOPMENT_DEMO_PASSWORD if settings.DEBUG else None)
        started = time.perf_counter()
        try:
            with transaction.atomic():
                created = reference_organization_load()
                if options["users"] is None:
                    created |= seeding.demo_people_load(password=demo_password, reset_password=bool(chosen_password))
                else:
                    created |= seeding.volume_generate(
                        users=options["users"],
                        posts_per_user=options["posts_per_user"],
                        follows_per_user=options["follows_per_user"],
                        seed=options["seed"],
                        password=chosen_password,
                        progress=self._progress_factory(options["verbosity"]),
                    )
                if superuser_password:
                    created["Superuser"] = self._superuser(options["superuser_username"], superuser_password)
                invalidate_all()  # bulk writes send no model signals: every cached read is read again
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        passwords_set = created.pop("Demo password", 0)
        if options["verbosity"] >= 1:
            self._summary(created, time.perf_counter() - started)
            if passwords_set:
                self.stdout.write(f"Set the password of {passwords_set} demo people.")
            if options["users"] is None:
                self._demo_sign_in(demo_password, chosen_password)
            if superuser_password and not created.get("Superuser"):
                self.stdout.write(f"The superuser {options['superuser_username']!r} has the password you gave.")

    def _check_counts(self, options):
        for name in ("users", "posts_per_user", "follows_per_user"):
            value = options[name]
            if value is not None and value < 0:
                raise CommandError(f"--{name.replace('_', '-')} must be 0 or more, not {value}.")
        if options["users"] is None and (options["posts_per_user"] or options["follows_per_user"]):
            raise CommandError("--posts-per-user and --follows-per-user need --users.")

    def _superuser_password(self, options) -> str:
        password = os.environ.get(SUPERUSER_PASSWORD_ENV)
        if not password:
            if not options["interactive"] or not sys.stdin.isatty():
                raise CommandError(f"Set ${SUPERUSER_PASSWORD_ENV} or run interactively to give a password.")
            password = getpass.getpass("Superuser password: ")
        try:
            validate_password(password)
        except ValidationError as exc:
            raise CommandError("Superuser password rejected: " + " ".join(exc.messages)) from exc
        return password

    def _superuser(self, username: str, password: str) -> int:
        user = User.objects.filter(username__iexact=username).first()
        if user:
            user.is_staff = user.is_superuser = user.is_active = True
            user.set_password(password)  # the one asked for now, also for a superuser seeded before
            user.save(update_fields=["is_staff", "is_superuser", "is_active", "password"])
            return 0
        User.objects.create_superuser(username=username, email=f"{username}@example.org", password=password)
        return 1

    def _demo_sign_in(self, password: str | None, chosen: str | None) -> None:
        names = ", ".join(person[0] for person in seeding.DEMO_PEOPLE)
        if password is None:
            self.stdout.write(f"Demo people ({names}) cannot sign in: set ${DEMO_PASSWORD_ENV} and run seed_db again.")
        elif chosen:
            self.stdout.write(f"Demo people ({names}) sign in with the password in ${DEMO_PASSWORD_ENV}.")
        else:
            self.stdout.write(f"Demo people ({names}) sign in with the password {password!r} (development only).")

    def _progress_factory(self, verbosity: int):
        def progress(total: int, description: str):
            return tqdm(total=total, desc=description, unit="rows", file=sys.stderr, disable=verbosity < 1)

        return progress

    def _summary(self, created: dict[str, int], seconds: float):
        rows = sum(created.values())
        lines = [f"  {model:<12} {count:>10,}" for model, count in created.items()]
        self.stdout.write("Created:\n" + "\n".join(lines))
        rate = f" ({rows / seconds:,.0f} rows/s)" if seconds > 0 and rows else ""
        self.stdout.write(self.style.SUCCESS(f"Seeded {rows:,} new rows in {seconds:.1f} s{rate}."))
