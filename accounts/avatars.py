"""Identicon avatars drawn locally as SVG: no network, no storage, the same picture every time."""

import hashlib

from django.urls import reverse

GRID = 5


def identicon_svg(seed: str) -> str:
    """A 5x5 left-right symmetric identicon for `seed`, as an SVG document."""
    digest = hashlib.sha256(seed.encode()).digest()
    hue = int.from_bytes(digest[:2], "big") % 360
    color = f"hsl({hue},55%,50%)"
    half = (GRID + 1) // 2
    cells = []
    for index in range(GRID * half):
        if digest[2 + index] % 2:
            row, col = divmod(index, half)
            for x in {col, GRID - 1 - col}:
                cells.append(f'<rect x="{x}" y="{row}" width="1" height="1"/>')
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="-0.5 -0.5 {GRID + 1} {GRID + 1}" '
        f'shape-rendering="crispEdges"><rect x="-0.5" y="-0.5" width="{GRID + 1}" height="{GRID + 1}" '
        f'fill="#f0f0f0"/><g fill="{color}">{"".join(cells)}</g></svg>'
    )


def avatar_url(user) -> str:
    """The URL of `user`'s identicon (keyed by the user's id, so renames keep the picture)."""
    return reverse("avatar", kwargs={"pk": user.pk})
