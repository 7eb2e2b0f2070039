"""Email in development: Django's console backend, with attachments named instead of printed."""

import copy

from django.core.mail.backends import console


class ConsoleEmailBackend(console.EmailBackend):
    """Prints each message as Django's console backend does, but an attachment as one line (its name, type
    and size): a post export's ZIP was pages of base64 in the server's output."""

    def write_message(self, message):
        if not message.attachments:
            return super().write_message(message)
        shown = copy.copy(message)
        shown.attachments = []
        super().write_message(shown)
        for attachment in message.attachments:
            name, content, mimetype = (
                attachment
                if isinstance(attachment, tuple)
                else (attachment.get_filename(), attachment.get_payload(decode=True), attachment.get_content_type())
            )
            self.stream.write(f"[attachment {name} ({mimetype}, {len(content):,} bytes): not printed]\n")
        return None
