from django.shortcuts import render


def csrf_failure(request, reason=""):
    """A failed CSRF check: the site's own 403 page (with its navigation), not Django's bare one."""
    return render(request, "403.html", {"reason": reason}, status=403)
