"""The dashboard's screenshots: every image README.md and docs/ show exists, and each view
tests/ui/make_screenshots.py captures is committed at the size it takes and shown in README.md."""

from __future__ import annotations

import re
import struct
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
IMAGE = re.compile(r"!\[[^\]]*\]\(([^)\s]+)\)")
PNG = b"\x89PNG\r\n\x1a\n"


def _png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == PNG, f"{path} is not a PNG"
    assert head[12:16] == b"IHDR", f"{path} is not a PNG"
    width, height = struct.unpack(">II", head[16:24])
    return width, height


def test_every_image_the_docs_show_exists() -> None:
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    shown = 0
    for page in pages:
        for target in IMAGE.findall(page.read_text()):
            if target.startswith(("http://", "https://")):
                continue
            assert (page.parent / target).is_file(), f"{page.name} shows {target}, which does not exist"
            shown += 1
    assert shown >= 5


def test_each_captured_view_is_committed_and_shown_in_the_readme() -> None:
    script = (ROOT / "tests" / "ui" / "make_screenshots.py").read_text()
    names = re.findall(r'"(dashboard-[a-z]+\.png)"', script)
    (viewport,) = re.findall(r'viewport=\{"width": (\d+), "height": (\d+)\}', script)
    assert len(names) == 5, names
    readme = set(IMAGE.findall((ROOT / "README.md").read_text()))
    for name in names:
        path = ROOT / "docs" / "images" / name
        assert path.is_file(), f"{name} is not committed: run tests/ui/make_screenshots.py"
        assert _png_size(path) == (int(viewport[0]), int(viewport[1])), name
        assert f"docs/images/{name}" in readme, f"README.md does not show {name}"
