"""Driving the admin's import (dry run, then confirm) and export as a browser would."""

from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

FILES = Path(__file__).resolve().parent / "files"
FORMATS = {"csv": "0", "xlsx": "1"}  # the order of ImportExportHistoryAdmin.formats


def admin_url(model, view: str) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}")


def dry_run(client, model, name: str, content: bytes | None = None):
    """POST a file (from tests/admin_import/files/ unless `content` is given) to the import page."""
    if content is None:
        content = (FILES / name).read_bytes()
    upload = SimpleUploadedFile(name, content)
    response = client.post(
        admin_url(model, "import"), {"format": FORMATS[name.rsplit(".", 1)[1]], "import_file": upload}
    )
    assert response.status_code == 200
    return response


def confirm(client, model, preview):
    """POST the preview's confirmation form, as its "Confirm import" button does."""
    form = preview.context["confirm_form"]
    data = {name: form[name].value() for name in form.fields}
    return client.post(admin_url(model, "process_import"), data)


def imported(client, model, name: str, content: bytes | None = None):
    """Dry run, check the preview offers to confirm, confirm; return the confirmation's response."""
    preview = dry_run(client, model, name, content)
    assert preview.context.get("confirm_form"), invalid_rows(preview)
    response = confirm(client, model, preview)
    assert response.status_code == 302, response.content[:2000]
    return response


def invalid_rows(response) -> dict[int, list[str]]:
    """{row number: [messages]} of the preview's bad rows."""
    result = response.context["result"]
    return {row.number: row.error.messages for row in result.invalid_rows}


def export(client, model, resource, file_format: str) -> bytes:
    """POST the export form with every field ticked; return the file."""
    fields = {f"{resource.__name__.lower()}_{name}": "on" for name in resource().get_export_order()}
    response = client.post(admin_url(model, "export"), {"format": FORMATS[file_format], "resource": "0", **fields})
    assert response.status_code == 200, response.content[:2000]
    assert response["Content-Disposition"].endswith(f'.{file_format}"')
    return response.content
