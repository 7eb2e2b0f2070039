from django.contrib.auth import views as auth_views
from django.urls import include, path

from accounts import views
from accounts.forms import SetPasswordRevokingTokensForm

urlpatterns = [
    path("avatar/<int:pk>.svg", views.avatar, name="avatar"),
    path("user/<str:username>/", views.profile, name="profile"),
    path("user/<str:username>/popup/", views.popup, name="popup"),
    path("follow/<str:username>/", views.follow, name="follow"),
    path("unfollow/<str:username>/", views.unfollow, name="unfollow"),
    path("edit_profile/", views.edit_profile, name="edit_profile"),
    path("accounts/register/", views.register, name="register"),
    path("accounts/login/", views.SignInView.as_view(), name="login"),
    # Django's password change and reset, whose forms also revoke the person's API tokens.
    path("accounts/password_change/", views.PasswordChangeView.as_view(), name="password_change"),
    path(
        "accounts/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(form_class=SetPasswordRevokingTokensForm),
        name="password_reset_confirm",
    ),
    path("accounts/", include("django.contrib.auth.urls")),
    path("i18n/setlang/", views.set_language, name="set_language"),  # wraps Django's view of that name
]
