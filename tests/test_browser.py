"""The HTML report seen in a real browser: headless Chromium screenshots, English and Arabic."""
from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest
from conftest import EXAMPLES, ROOT

from advisor.report.render import render

_spec = importlib.util.spec_from_file_location("screenshots", ROOT / "docs" / "screenshots.py")
screenshots = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(screenshots)  # type: ignore[union-attr]

if screenshots.chromium() is None or not screenshots.arabic_font():
    if os.environ.get("CI"):
        raise RuntimeError("CI must have Chromium and Noto Sans Arabic: .ci/run installs them")
    pytest.skip(f"the browser test {screenshots.MISSING}", allow_module_level=True)

HOLD, SKIP = (0x1A, 0x7F, 0x37), (0xB3, 0x59, 0x00)  # the verdict colours of the report's stylesheet


def _shot(tmp_path: Path, advisor, name: str, lang: str, size=(900, 1400)):
    from PIL import Image

    decision = advisor.check(EXAMPLES / name, what_if=True)
    page = tmp_path / f"{name}.{lang}.html"
    page.write_text(render(decision, "html", lang=lang), encoding="utf-8")
    png = tmp_path / f"{name}.{lang}.png"
    screenshots.screenshot(page, png, *size)
    return decision, Image.open(png).convert("RGB")


def _where(image, colour, tolerance=12):
    """The bounding box of the pixels of `colour`."""
    from PIL import Image, ImageChops

    probe = Image.new("RGB", image.size, colour)
    mask = ImageChops.difference(image, probe).convert("L").point(lambda v: 255 if v <= tolerance else 0)
    return mask.getbbox()


@pytest.mark.parametrize("lang", ["en", "ar"])
@pytest.mark.parametrize("name", ["pipeline-review.yaml", "shortfall-huddle.yaml", "overloaded-brainstorm.yaml"])
def test_the_report_is_drawn_with_its_badge_on_the_reading_side(tmp_path, advisor, name, lang):
    decision, image = _shot(tmp_path, advisor, name, lang)
    colours = image.getcolors(maxcolors=1 << 16) or []
    ink = sum(count for count, rgb in colours if sum(rgb) < 600)
    assert len(colours) > 50 and ink > 0.02 * image.width * image.height, "a blank or nearly blank page"
    badge = _where(image.crop((0, 0, image.width, 80)), HOLD if decision.hold else SKIP)
    assert badge is not None, "no verdict badge at the top"
    middle = (badge[0] + badge[2]) / 2
    assert (middle < image.width / 2) if lang == "en" else (middle > image.width / 2)
    # the charts: bars in both colours below the header (every example has reasons on both sides or formats)
    assert _where(image.crop((0, 200, image.width, image.height)), HOLD) is not None
    assert _where(image.crop((0, 200, image.width, image.height)), SKIP) is not None


def test_the_report_fits_a_phone(tmp_path, advisor):
    _, image = _shot(tmp_path, advisor, "shortfall-huddle.yaml", "ar", size=(390, 844))
    right_edge = [x for x in range(image.width - 1, image.width // 2, -1)
                  if any(sum(image.getpixel((x, y))) < 300 for y in range(0, image.height, 4))]
    assert right_edge and right_edge[0] < image.width - 4, "text runs off the right edge"
    assert _where(image.crop((0, 0, image.width, 80)), SKIP) is not None


CANCEL = (0xB3, 0x59, 0x00)  # the audit's colour for cancel, as the skip badge


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_the_audit_report_is_drawn_with_its_chart(tmp_path, cli, lang):
    from test_audit import AT, COACHING, STANDUP, STATUS, SYNC
    from test_calendar import calendar

    (tmp_path / "team.ics").write_text(calendar(STATUS, STANDUP, SYNC, COACHING))
    page = tmp_path / f"audit.{lang}.html"
    code, _, err = cli("audit", str(tmp_path / "team.ics"), "--at", AT, "--format", "html", "--lang", lang,
                       "--output", str(page))
    assert (code, err) == (0, "")
    png = tmp_path / f"audit.{lang}.png"
    screenshots.screenshot(page, png, 900, 1400)
    from PIL import Image

    image = Image.open(png).convert("RGB")
    colours = image.getcolors(maxcolors=1 << 16) or []
    assert len(colours) > 50, "a blank or nearly blank page"
    bars = _where(image, CANCEL)
    assert bars is not None, "no bar for the cancelled series in the chart"
    middle = (bars[0] + bars[2]) / 2
    assert (middle < image.width * 0.75) if lang == "en" else (middle > image.width * 0.25)
