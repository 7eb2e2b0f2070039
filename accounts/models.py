"""People: the custom user model and who follows whom."""

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from core.history import ChangeHistory, LoadedValues

mobile_validator = RegexValidator(
    regex=r"^\+?[0-9][0-9 -]{5,18}[0-9]$",
    message=_("Enter a phone number of 7 to 20 digits, optionally starting with + (spaces and dashes allowed)."),
)


class User(LoadedValues, AbstractUser):
    """A person of the organization; `is_active=False` is the source project's "inactive" flag.

    Roles are Django groups. Username and email are unique in any letter case.
    """

    # Longer than AbstractUser's 128: a Werkzeug scrypt hash brought over from Flask (accounts.hashers) is about
    # 180 characters with its prefix.
    password = models.CharField(_("password"), max_length=256)
    must_change_password = models.BooleanField(
        _("must change password"),
        default=False,
        editable=False,
        help_text=_(
            "Set when the password came in as plain text from the staff directory: the person chooses a new one "
            "at the next sign-in."
        ),
    )
    # AbstractUser's email is optional and not unique; here it identifies a person.
    email = models.EmailField(
        _("email address"),
        unique=True,
        help_text=_("Primary email; unique in any letter case."),
        error_messages={"unique": _("A user with that email address already exists.")},
    )
    full_name = models.CharField(_("full name"), max_length=100, blank=True, help_text=_("Name as shown to others."))
    employee_id = models.CharField(
        max_length=20,
        unique=True,
        null=True,
        blank=True,
        help_text=_("Staff number; unique when set, empty for people without one."),
    )
    mobile = models.CharField(
        _("mobile"), max_length=20, blank=True, validators=[mobile_validator], help_text=_("e.g. +91 98100 12345")
    )
    mobile2 = models.CharField(_("second mobile"), max_length=20, blank=True, validators=[mobile_validator])
    mobile3 = models.CharField(_("third mobile"), max_length=20, blank=True, validators=[mobile_validator])
    email2 = models.EmailField(_("second email"), blank=True, help_text=_("Optional other address."))
    email3 = models.EmailField(_("third email"), blank=True, help_text=_("Optional other address."))
    office_address = models.CharField(
        _("office address"), max_length=200, blank=True, help_text=_("Room, floor and building.")
    )
    about_me = models.CharField(
        _("about me"), max_length=140, blank=True, help_text=_("A short introduction, up to 140 characters.")
    )
    last_seen = models.DateTimeField(
        null=True, blank=True, help_text=_("Last request signed in on the web (UTC); API tokens do not count.")
    )
    last_message_read_time = models.DateTimeField(
        null=True, blank=True, editable=False, help_text=_("When the person last opened their messages.")
    )
    language = models.CharField(
        _("language"),
        max_length=10,
        choices=settings.LANGUAGES,
        blank=True,
        help_text=_("Language of the pages, chosen with the switcher; empty: the browser's."),
    )
    department = models.ForeignKey(
        "organization.Department",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="members",
        help_text=_("Cleared when the department is deleted."),
    )
    unit = models.ForeignKey(
        "organization.Unit",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="members",
        help_text=_("Must belong to the department; cleared when the unit is deleted."),
    )
    designation = models.ForeignKey(
        "organization.Designation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="holders",
        help_text=_("A designation cannot be deleted while someone holds it."),
    )
    following = models.ManyToManyField(
        "self",
        through="Follow",
        through_fields=("follower", "followed"),
        symmetrical=False,
        related_name="followers",
        blank=True,
    )
    created_by = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
        help_text=_("Who added this person."),
    )
    deactivated_by = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
        help_text=_("Who deactivated this person."),
    )
    deactivated_at = models.DateTimeField(
        null=True, blank=True, editable=False, help_text=_("When it was deactivated.")
    )

    objects = UserManager()
    # Who changed what and when; never the password hash, nor the fields written on every visit.
    history = ChangeHistory(excluded_fields=["password", "last_login", "last_seen", "last_message_read_time"])

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        ordering = ["username"]
        constraints = [
            models.UniqueConstraint(
                Lower("username"),
                name="accounts_user_username_ci_unique",
                violation_error_message=_("A user with that username already exists."),
            ),
            models.UniqueConstraint(
                Lower("email"),
                name="accounts_user_email_ci_unique",
                violation_error_message=_("A user with that email address already exists."),
            ),
        ]

    def __str__(self):
        return self.username

    def clean(self):
        super().clean()
        if self.employee_id == "":
            self.employee_id = None  # "unique when set": blank is stored as NULL
        if not self.unit_id:
            return
        if not self.department_id:
            self.department_id = self.unit.department_id  # a unit implies its department
        elif self.unit.department_id != self.department_id:
            raise ValidationError({"unit": _("This unit belongs to another department.")})


class Follow(models.Model):
    """`follower` follows `followed`."""

    follower = models.ForeignKey(User, on_delete=models.CASCADE, related_name="following_links")
    followed = models.ForeignKey(User, on_delete=models.CASCADE, related_name="follower_links")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["follower", "followed"],
                name="accounts_follow_unique_pair",
                violation_error_message=_("Already following."),
            ),
            models.CheckConstraint(
                condition=~models.Q(follower=models.F("followed")),
                name="accounts_follow_not_self",
                violation_error_message=_("You cannot follow yourself."),
            ),
        ]

    def __str__(self):
        return f"{self.follower} follows {self.followed}"
