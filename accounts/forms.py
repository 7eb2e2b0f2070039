from django import forms
from django.contrib.auth.forms import AuthenticationForm, BaseUserCreationForm

from accounts.models import User
from accounts.services import PROFILE_FIELDS


class SignInForm(AuthenticationForm):
    remember_me = forms.BooleanField(required=False, initial=True, help_text="Stay signed in after the browser closes.")


class RegisterForm(BaseUserCreationForm):
    """Username, email, password and confirmation; uniqueness and saving are the service's job."""

    class Meta:
        model = User
        fields = ("username", "email")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].required = True

    def validate_unique(self):
        """Left to accounts.services.user_register, which checks any letter case."""


class ProfileForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ("username", *PROFILE_FIELDS)
        widgets = {"about_me": forms.Textarea(attrs={"rows": 3, "maxlength": 140})}

    def validate_unique(self):
        """Left to accounts.services.user_update, which checks any letter case."""
