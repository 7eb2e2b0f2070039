import contextlib
import math

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView, RedirectURLMixin
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views import i18n
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_POST, require_safe

from accounts import selectors, services
from accounts.avatars import identicon_svg
from accounts.forms import PasswordChangeRevokingTokensForm, ProfileForm, RegisterForm, SignInForm
from accounts.invalidation import following_scope, name_scope, person_scope
from accounts.models import User
from core.caching import versions
from core.pages import KeptList, add_service_errors, cached_page, paginate
from core.throttling import registration_allowed
from posts.selectors import posts_by_author


@require_safe
@cache_control(public=True, max_age=60 * 60 * 24 * 30, immutable=True)
def avatar(request, pk: int):
    """The identicon of user `pk` (drawn from the id alone: no database query)."""
    return HttpResponse(identicon_svg(f"user:{pk}"), content_type="image/svg+xml")


def _profile_or_404(request, username: str, id_hint: int | None = None) -> User:
    try:
        return selectors.user_profile(username=username, viewer=request.user, id_hint=id_hint)
    except User.DoesNotExist:
        raise Http404(_("No such person.")) from None


@require_safe
def profile(request, username: str):
    def render_profile():
        person = _profile_or_404(request, username, id_hint=person_id)
        page = paginate(request, posts_by_author(author=person), count=person.post_count)
        cards_key = KeptList(f"posts-by:{person.pk}", versions(person_scope(person.pk)))  # posts and username
        return render(request, "accounts/profile.html", {"person": person, "page": page, "cards_key": cards_key})

    # Kept under the id this username last had, so that a kept page is found without reading the person. An
    # out-of-date id (the name went to someone else) is never read again: the render points the name at the
    # new id, and the old one's versions change if it ever takes the name back.
    person_id = selectors.user_id_hint(username)
    if person_id is None:
        return render_profile()  # the first visit by this name (the render notes its id)
    # The person (their fields, counts and posts) and the organization's names; the viewer's name (in the
    # navigation) and follows (the follow button).
    scopes = [person_scope(person_id), "org"]
    if request.user.is_authenticated:
        scopes += [name_scope(request.user.pk), following_scope(request.user.pk)]
    return cached_page(request, f"profile:{person_id}", render_profile, scopes)


@require_safe
def popup(request, username: str):
    """The hover card fragment."""
    return render(request, "accounts/popup.html", {"person": _profile_or_404(request, username)})


@login_required
@require_POST
def follow(request, username: str):
    person = get_object_or_404(User, username=username)
    try:
        services.user_follow(follower=request.user, followed=person)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("You are following %(username)s.") % {"username": person.username})
    return redirect("profile", username=person.username)


@login_required
@require_POST
def unfollow(request, username: str):
    person = get_object_or_404(User, username=username)
    services.user_unfollow(follower=request.user, followed=person)
    messages.success(request, _("You are not following %(username)s.") % {"username": person.username})
    return redirect("profile", username=person.username)


@login_required
def edit_profile(request):
    # A copy: a rejected change must not show up in the navigation of the re-rendered form.
    form = ProfileForm(request.POST or None, instance=User.objects.get(pk=request.user.pk))
    if request.method == "POST" and form.is_valid():
        try:
            # What the person changed (not every field the form sends back): a form whose username is as it was
            # changes nothing that shows the name, and leaves the pages kept for them (core.caching) as they are.
            changed = {name: form.cleaned_data[name] for name in form.changed_data}
            user = services.user_update(user=form.instance, **changed)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Your profile has been saved."))
            return redirect("profile", username=user.username)
    return render(request, "accounts/edit_profile.html", {"form": form})


def register(request):
    if request.user.is_authenticated:
        return redirect("index")
    form = RegisterForm(request.POST or None)
    if request.method == "POST":
        allowed, wait = registration_allowed(request)
        if not allowed:
            minutes = max(1, math.ceil(wait / 60))
            too_many = ngettext(
                "Too many accounts were registered from your address. Try again in %(minutes)d minute.",
                "Too many accounts were registered from your address. Try again in %(minutes)d minutes.",
                minutes,
            )
            form.add_error(None, too_many % {"minutes": minutes})
            return render(request, "registration/register.html", {"form": form}, status=429)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.user_register(
                username=form.cleaned_data["username"],
                email=form.cleaned_data["email"],
                password=form.cleaned_data["password1"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc, aliases={"password": "password2"})
        else:
            login(request, user)  # the one authentication backend (settings.AUTHENTICATION_BACKENDS)
            messages.success(request, _("Welcome, %(username)s!") % {"username": user.username})
            return redirect("index")
    return render(request, "registration/register.html", {"form": form})


@require_POST
def set_language(request):
    """Django's set_language (the language cookie, then back to `next`); a signed-in person's choice is saved too."""
    response = i18n.set_language(request)
    if request.user.is_authenticated:
        with contextlib.suppress(ValidationError):  # an unknown language: Django's view ignored it as well
            services.user_set_language(user=request.user, language=request.POST.get("language", ""))
    return response


class SignInView(LoginView):
    """Sign in with "remember me": unticked, the session ends with the browser."""

    form_class = SignInForm
    redirect_authenticated_user = True

    def get_redirect_url(self):
        """The safe `next`, but never this page itself (that would loop for a signed-in visitor)."""
        url = super().get_redirect_url()
        return "" if url.split("?")[0] == self.request.path else url

    def form_valid(self, form):
        response = super().form_valid(form)
        if not form.cleaned_data.get("remember_me"):
            self.request.session.set_expiry(0)
        return response


class PasswordChangeView(RedirectURLMixin, auth_views.PasswordChangeView):
    """Django's password change (with the form that revokes API tokens) that goes on to `next`, a page of
    this site, when it was sent there from one (the must_change_password detour); else to the done page."""

    form_class = PasswordChangeRevokingTokensForm
    next_page = reverse_lazy("password_change_done")

    def form_valid(self, form):
        response = super().form_valid(form)
        if self.get_redirect_url():  # the done page says it; another page gets the message
            messages.success(self.request, _("Your password has been changed."))
        return response
