"""Export my posts: run the job with progress, mail the file.

`posts.services.post_export_start` creates the export and enqueues the task in `posts.tasks`, which calls
`post_export_run` in a worker. The file is a ZIP of posts.json (every field, exactly) and posts.csv
(for spreadsheets: text that a spreadsheet would read as a formula is prefixed with a quote).
"""

import csv
import io
import json
import logging
import tempfile
import zipfile

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext as _

from posts.models import Post, PostExport

logger = logging.getLogger(__name__)


@receiver(post_delete, sender=PostExport, dispatch_uid="posts.exports.export_file_deleted")
def export_file_deleted(sender, instance: PostExport, **kwargs) -> None:
    """An export's file goes with its row (deleted alone, with its owner, or as an older export), once the
    deletion is committed (a rolled-back one keeps both)."""
    if instance.file:
        name, storage = instance.file.name, instance.file.storage
        transaction.on_commit(lambda: storage.delete(name))


CSV_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def post_export_run(*, export_id: str) -> PostExport:
    """Write the person's posts into the export's file, reporting progress; mark it done or failed."""
    export = PostExport.objects.select_related("user").get(pk=export_id)
    if not export.is_active:
        return export  # run twice (a retried job): the first run decided
    _update(export, status=PostExport.Status.RUNNING, progress=0)
    try:
        with tempfile.TemporaryFile() as archive:
            count = _write_archive(export, archive)
            archive.seek(0)
            content = archive.read()
        export.file.save(_file_name(export), ContentFile(content), save=False)
        PostExport.objects.filter(pk=export.pk).update(file=export.file.name)
    except Exception as exc:
        logger.exception("post export %s failed", export.pk)
        post_export_finish(
            export, PostExport.Status.FAILED, _("The export failed: %(reason)s") % {"reason": _reason(exc)}
        )
        raise
    note = _mail(export, content, count)
    post_export_finish(export, PostExport.Status.DONE, note)
    return export


def _write_archive(export: PostExport, archive) -> int:
    """Write posts.json and posts.csv into the ZIP `archive`; returns how many posts it holds."""
    posts = Post.objects.filter(author=export.user).order_by("timestamp", "pk").values_list("pk", "body", "timestamp")
    total = posts.count()
    text_file = {"mode": "w+", "newline": "", "encoding": "utf-8"}
    with (
        zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as zf,
        tempfile.TemporaryFile(**text_file) as rows,
    ):
        table = csv.writer(rows)
        table.writerow(["id", "timestamp", "body"])
        with zf.open("posts.json", "w") as raw:
            out = io.TextIOWrapper(raw, encoding="utf-8")
            head = {"username": export.user.username, "exported_at": timezone.now().isoformat(), "count": total}
            out.write(json.dumps(head, ensure_ascii=False)[:-1] + ', "posts": [')
            chunk = settings.POST_EXPORT_CHUNK
            for done, (pk, body, timestamp) in enumerate(posts.iterator(chunk_size=chunk), start=1):
                item = {"id": pk, "timestamp": timestamp.isoformat(), "body": body}
                out.write(("," if done > 1 else "") + json.dumps(item, ensure_ascii=False))
                table.writerow([pk, timestamp.isoformat(), _csv_safe(body)])
                if done % chunk == 0:
                    _update(export, progress=min(99, done * 100 // total))
            out.write("]}")
            out.flush()
            out.detach()
        rows.seek(0)
        zf.writestr("posts.csv", rows.read())
    return total


def _csv_safe(text: str) -> str:
    """Spreadsheets run a cell that starts with = + - @ as a formula: make it plain text."""
    return "'" + text if text.startswith(CSV_FORMULA_STARTS) else text


def _file_name(export: PostExport) -> str:
    return f"posts-{export.user.username}-{export.created_at:%Y%m%d-%H%M%S}.zip"


def _mail(export: PostExport, content: bytes, count: int) -> str:
    """Send the file (`content`, `count` posts) to the person; returns a note for the export when it was not sent."""
    user = export.user
    if not user.email:
        return _("No email address on your profile: download the file from the site.")
    message = EmailMessage(
        subject=_("Your posts"),
        body=_("Hello %(username)s,\n\nattached are your %(count)s posts, as JSON and as CSV.\n")
        % {"username": user.username, "count": count},
        to=[user.email],
    )
    message.attach(_file_name(export), content, "application/zip")
    try:
        message.send()
    except Exception:
        logger.exception("could not mail post export %s", export.pk)
        return _("The email could not be sent: download the file from the site.")
    return ""


def _reason(exc: Exception) -> str:
    return (str(exc) or type(exc).__name__)[:150]


def _update(export: PostExport, **fields) -> None:
    for name, value in fields.items():
        setattr(export, name, value)
    export.updated_at = timezone.now()
    PostExport.objects.filter(pk=export.pk).update(updated_at=export.updated_at, **fields)


def post_export_finish(export: PostExport, status: str, message: str) -> None:
    """Mark the export done or failed, with a note for its owner."""
    progress = 100 if status == PostExport.Status.DONE else export.progress
    _update(export, status=status, progress=progress, message=message[:200], finished_at=timezone.now())
