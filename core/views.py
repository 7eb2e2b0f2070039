from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe


def csrf_failure(request, reason=""):
    """A failed CSRF check: the site's own 403 page (with its navigation), not Django's bare one."""
    return render(request, "403.html", {"reason": reason}, status=403)


@require_safe
@cache_control(public=True, max_age=60 * 60 * 24)
def favicon(request):
    """/favicon.ico, which browsers ask for on pages that name no icon (the admin's, the API's): the site's."""
    return redirect(static("favicon.svg"))
