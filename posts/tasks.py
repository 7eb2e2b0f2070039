"""Background tasks of the posts app (the Django tasks API: `django_tasks` now, `django.tasks` on Django 6)."""

from django_tasks import task

from posts.exports import post_export_run


@task()
def export_posts(export_id: str) -> None:
    """Write one person's posts to their export file (see posts.exports)."""
    post_export_run(export_id=export_id)
