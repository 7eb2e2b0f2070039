from datetime import UTC, datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from accounts.invalidation import following_scope, name_scope
from accounts.models import User
from core.pages import add_service_errors, cached_page, paginate, paginate_cached
from core.search import search_problem
from posts import selectors, services
from posts.counting import post_total
from posts.forms import MessageForm, PostForm
from posts.services import ExportInProgress, post_export_start


def index(request):
    """Signed in: the post form and the feed. Anonymous: the landing page."""
    if not request.user.is_authenticated:
        return render(request, "posts/landing.html")
    form = PostForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.post_create(author=request.user, body=form.cleaned_data["body"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Your post is live."))
            return redirect("index")

    def render_feed():
        feed = selectors.feed_for_user(user=request.user)
        page, cards_key = paginate_cached(
            request, feed, f"feed:{request.user.pk}", "posts", following_scope(request.user.pk)
        )
        context = {"form": form, "page": page, "cards_key": cards_key, "title": _("Home")}
        return render(request, "posts/index.html", context)

    # The feed (any post may be in it, by whom they follow) and their own name (greeting and navigation).
    scopes = ("posts", following_scope(request.user.pk), name_scope(request.user.pk))
    return cached_page(request, "feed", render_feed, scopes)


@require_safe
def explore(request):
    page, cards_key = paginate_cached(request, selectors.post_list(), "posts", "posts", count=post_total)
    return render(request, "posts/explore.html", {"page": page, "cards_key": cards_key, "title": _("Explore")})


@require_safe
def search(request):
    query = request.GET.get("q", "").strip()
    problem = search_problem(query)
    page = paginate(request, selectors.post_search(query="" if problem else query))
    context = {"page": page, "query": query, "problem": problem, "title": _("Search")}
    return render(request, "posts/search.html", context, status=400 if problem else 200)


@login_required
def send_message(request, username: str):
    recipient = get_object_or_404(User, username=username)
    form = MessageForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.message_send(sender=request.user, recipient=recipient, body=form.cleaned_data["body"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            sent = _("Your message to %(username)s has been sent.") % {"username": recipient.username}
            messages.success(request, sent)
            return redirect("profile", username=recipient.username)
    return render(request, "posts/send_message.html", {"form": form, "recipient": recipient})


@login_required
@require_safe
def message_list(request):
    """Received messages, newest first; opening the page marks them read."""
    services.messages_mark_read(user=request.user)
    page = paginate(request, selectors.messages_received(user=request.user))
    return render(request, "posts/messages.html", {"page": page, "title": _("Messages")})


@login_required
@require_safe
def notifications(request):
    """JSON for the navigation's polling: [{name, data, timestamp}] changed after ?since= (seconds)."""
    try:
        since = datetime.fromtimestamp(float(request.GET.get("since", 0)), tz=UTC)
    except (ValueError, OverflowError, OSError):
        return JsonResponse({"detail": _("since must be a number of seconds since the epoch.")}, status=400)
    return JsonResponse(selectors.notifications_for_user(user=request.user, since=since), safe=False)


@login_required
@require_POST
def export_start(request):
    """Export my posts (from the profile page): start the background job; the navigation shows its progress."""
    try:
        post_export_start(user=request.user)
    except ExportInProgress as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _("Your export has started. Its progress shows in the navigation; it waits until a worker runs it."),
        )
    return redirect("profile", username=request.user.username)
