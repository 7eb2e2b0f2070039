from django import forms
from django.contrib.admin.forms import AdminPasswordChangeForm as AdminOwnPasswordChangeForm
from django.contrib.auth.forms import (
    AdminPasswordChangeForm,
    AuthenticationForm,
    BaseUserCreationForm,
    PasswordChangeForm,
    SetPasswordForm,
)
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.selectors import email_taken, username_taken
from accounts.services import EMAIL_TAKEN, PROFILE_FIELDS, USERNAME_TAKEN, user_tokens_revoke
from accounts.signin_guard import signin_blocked

TOO_MANY_FAILURES = _("Too many failed sign-in attempts. Please wait a few minutes and try again.")


class FreeUsernameMixin:
    """Field errors for a username or email another person has, in any letter case."""

    def clean_username(self):
        username = self.cleaned_data["username"]
        if username_taken(username=username, exclude_pk=self.instance.pk):
            raise forms.ValidationError(USERNAME_TAKEN, code="unique")
        return username

    def clean_email(self):
        email = self.cleaned_data["email"]
        if email and email_taken(email=email, exclude_pk=self.instance.pk):
            raise forms.ValidationError(EMAIL_TAKEN, code="unique")
        return email


class SignInForm(AuthenticationForm):
    remember_me = forms.BooleanField(
        label=_("Remember me"), required=False, initial=True, help_text=_("Stay signed in after the browser closes.")
    )

    def clean(self):
        username = self.cleaned_data.get("username") or ""
        # The authentication backend counts failures (accounts.signin_guard); here the page says why it refuses.
        if signin_blocked(self.request, username):
            raise forms.ValidationError(TOO_MANY_FAILURES, code="throttled")
        return super().clean()


class RegisterForm(FreeUsernameMixin, BaseUserCreationForm):
    """Username, email, password and confirmation; saving is the service's job."""

    class Meta:
        model = User
        fields = ("username", "email")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].required = True

    def validate_unique(self):
        """Done by clean_username/clean_email (any letter case) and again by the service."""


class ProfileForm(FreeUsernameMixin, forms.ModelForm):
    class Meta:
        model = User
        fields = ("username", *PROFILE_FIELDS)
        widgets = {"about_me": forms.Textarea(attrs={"rows": 3, "maxlength": 140})}

    def validate_unique(self):
        """Done by clean_username (any letter case) and again by the service."""


class RevokesTokensMixin:
    """A form that sets a new password: saved, it revokes the person's API tokens too, and the person no longer
    has to choose a new password (must_change_password, saved with the password)."""

    def save(self, commit=True):
        self.user.must_change_password = False
        user = super().save(commit)
        if commit:
            user_tokens_revoke(user=user)
        return user


class PasswordChangeRevokingTokensForm(RevokesTokensMixin, PasswordChangeForm):
    """The password change page's form (the person, with their old password)."""


class SetPasswordRevokingTokensForm(RevokesTokensMixin, SetPasswordForm):
    """The password reset page's form (from the emailed link)."""


class AdminPasswordChangeRevokingTokensForm(RevokesTokensMixin, AdminPasswordChangeForm):
    """The admin's "change password" form (of a person, by staff)."""


class AdminOwnPasswordChangeRevokingTokensForm(RevokesTokensMixin, AdminOwnPasswordChangeForm):
    """The admin's own "change password" page (the signed-in staff member, with their old password)."""
