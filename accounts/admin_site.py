"""The admin site: Django's, whose "change password" page (the signed-in staff member's own) revokes their API
tokens, as every other way of setting a new password does (accounts.forms.RevokesTokensMixin)."""

from django.contrib import admin
from django.contrib.auth.views import PasswordChangeView
from django.urls import reverse

from accounts.forms import AdminOwnPasswordChangeRevokingTokensForm


class AdminSite(admin.AdminSite):
    def password_change(self, request, extra_context=None):
        """Django's view and template with the form that revokes the tokens (Django's own has no hook for it)."""
        request.current_app = self.name
        return PasswordChangeView.as_view(
            form_class=AdminOwnPasswordChangeRevokingTokensForm,
            success_url=reverse("admin:password_change_done", current_app=self.name),
            extra_context={**self.each_context(request), **(extra_context or {})},
        )(request)
