from datetime import UTC, datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_safe

from accounts.models import User
from posts import selectors, services
from posts.forms import MessageForm, PostForm
from project.pages import add_service_errors, paginate


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
            messages.success(request, "Your post is live.")
            return redirect("index")
    page = paginate(request, selectors.feed_for_user(user=request.user))
    return render(request, "posts/index.html", {"form": form, "page": page, "title": "Home"})


@require_safe
def explore(request):
    page = paginate(request, selectors.post_list())
    return render(request, "posts/explore.html", {"page": page, "title": "Explore"})


@require_safe
def search(request):
    query = request.GET.get("q", "").strip()
    page = paginate(request, selectors.post_search(query=query))
    return render(request, "posts/search.html", {"page": page, "query": query, "title": "Search"})


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
            messages.success(request, f"Your message to {recipient.username} has been sent.")
            return redirect("profile", username=recipient.username)
    return render(request, "posts/send_message.html", {"form": form, "recipient": recipient})


@login_required
@require_safe
def message_list(request):
    """Received messages, newest first; opening the page marks them read."""
    services.messages_mark_read(user=request.user)
    page = paginate(request, selectors.messages_received(user=request.user))
    return render(request, "posts/messages.html", {"page": page, "title": "Messages"})


@login_required
@require_safe
def notifications(request):
    """JSON for the navigation's polling: [{name, data, timestamp}] changed after ?since= (seconds)."""
    try:
        since = datetime.fromtimestamp(float(request.GET.get("since", 0)), tz=UTC)
    except (ValueError, OverflowError, OSError):
        return JsonResponse({"detail": "since must be a number of seconds since the epoch."}, status=400)
    return JsonResponse(selectors.notifications_for_user(user=request.user, since=since), safe=False)
