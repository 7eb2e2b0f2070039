"""Writes about people: registering, changing a profile, following and unfollowing."""

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy
from rest_framework.authtoken.models import Token

from accounts.models import Follow, User
from accounts.selectors import email_taken, username_taken

USERNAME_TAKEN = gettext_lazy("A user with that username already exists.")
EMAIL_TAKEN = gettext_lazy("A user with that email address already exists.")
# What a person may change about themselves (never flags, roles or their place in the organization).
PROFILE_FIELDS = ("full_name", "about_me", "mobile", "mobile2", "mobile3", "email2", "email3", "office_address")


def user_follow(*, follower: User, followed: User) -> bool:
    """Make `follower` follow `followed`; return False when already following.

    The row is written first, and the pair's unique constraint tells a follow that is already there: one
    statement for a new follow, the usual case (`get_or_create` would look for the row first, every time).
    """
    if follower.pk == followed.pk:
        raise ValidationError(gettext_lazy("You cannot follow yourself."), code="self_follow")
    try:
        with transaction.atomic():
            Follow.objects.create(follower=follower, followed=followed)
    except IntegrityError:
        if Follow.objects.filter(follower=follower, followed=followed).exists():
            return False
        raise  # not the pair (a person deleted meanwhile): the API's 409
    return True


def user_unfollow(*, follower: User, followed: User) -> bool:
    """Stop following; return False when `follower` was not following `followed`."""
    deleted, _ = Follow.objects.filter(follower=follower, followed=followed).delete()
    return deleted > 0


def user_register(*, username: str, email: str, password: str, **profile) -> User:
    """Create a person after Django's password validators and the model's own checks.

    A concurrent registration of the same username or email loses at the database's unique
    index and gets the same ValidationError as a sequential one.
    """
    user = User(username=username, email=User.objects.normalize_email(email), **profile)
    _check_free(user)
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from exc
    user.set_password(password)
    _full_clean(user)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as exc:
        _check_free(user)  # the winner of a race is visible now
        raise ValidationError(gettext_lazy("This username or email address is already taken.")) from exc
    return user


def user_update(*, user: User, **fields) -> User:
    """Change a person's profile and contact fields after validation."""
    if "email" in fields:
        fields["email"] = User.objects.normalize_email(fields["email"])
    for name, value in fields.items():
        setattr(user, name, value)
    _check_free(user, fields)
    # Only what was asked is checked and written: a concurrent change of another field (its department
    # deleted meanwhile, say) is neither an error here nor overwritten.
    _full_clean(user, exclude=[f.name for f in User._meta.concrete_fields if f.name not in fields])
    with transaction.atomic():  # the row and its history record (core.history): both or neither, one commit
        user.save(update_fields=list(fields))
    return user


def _full_clean(user: User, exclude: list[str] | None = None) -> None:
    """The model's checks; a name taken meanwhile (a concurrent write) is reported on its field, as when sequential."""
    try:
        user.full_clean(exclude=exclude)
    except ValidationError:
        _check_free(user)
        raise


def user_set_language(*, user: User, language: str) -> None:
    """Save the language `user` chose for the pages: a code of settings.LANGUAGES, or "" for the browser's."""
    if language and language not in dict(settings.LANGUAGES):
        raise ValidationError({"language": gettext_lazy("Unknown language.")}, code="invalid_choice")
    user.language = language
    user.save(update_fields=["language"])


def user_record_active_change(*, user: User, by: User | None) -> None:
    """After `is_active` changed (before saving): note who deactivated `user` and when, or clear both.

    The two fields describe the current deactivation only; the change history keeps earlier ones.
    """
    if user.is_active:
        user.deactivated_by, user.deactivated_at = None, None
    else:
        user.deactivated_by, user.deactivated_at = by, timezone.now()


def _check_free(user: User, fields=("username", "email")) -> None:
    """Field errors for a username or email another person has, in any letter case (of those in `fields`)."""
    errors = {}
    if "username" in fields and username_taken(username=user.username, exclude_pk=user.pk):
        errors["username"] = USERNAME_TAKEN
    if "email" in fields and user.email and email_taken(email=user.email, exclude_pk=user.pk):
        errors["email"] = EMAIL_TAKEN
    if errors:
        raise ValidationError(errors)


def user_tokens_revoke(*, user: User) -> int:
    """Revoke `user`'s API tokens (their password changed, or was reset); returns how many there were.

    Django ends the person's other sessions itself (the session keeps a hash of the password).
    """
    deleted, _ = Token.objects.filter(user=user).delete()
    return deleted
