"""Screenshots of the HTML report of every example, in English and Arabic, taken by headless Chromium.

    python docs/screenshots.py            # writes docs/screenshots/<example>.<lang>.png

tests/test_browser.py takes its screenshots with the same function.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Optional

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots"
WIDTH = 900  # a laptop's reading width; the report's column is at most 48rem
PHONE = (390, 844)


MISSING = "needs Chromium and an Arabic font (on Debian: apt-get install chromium fonts-noto-ui-core)"


def chromium() -> Optional[str]:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def arabic_font() -> bool:
    """Whether fontconfig knows Noto Sans Arabic, which the reports' Arabic is drawn with."""
    try:
        listed = subprocess.run(["fc-list", ":lang=ar", "family"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.TimeoutExpired):
        return False
    return "Noto Sans Arabic" in listed


def screenshot(page: Path, png: Path, width: int, height: int, timeout: float = 120) -> None:
    """Load `page` in a fresh headless Chromium with no network use of its own and save the viewport."""
    browser = chromium()
    if browser is None:
        raise FileNotFoundError(f"the screenshots {MISSING}")
    with tempfile.TemporaryDirectory(prefix="advisor-chromium-") as profile:
        # Chromium keeps caches under HOME and the XDG folders too: they go with its profile.
        env = {**os.environ, "HOME": profile, "XDG_CACHE_HOME": profile, "XDG_CONFIG_HOME": profile}
        subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                        "--disable-background-networking", "--disable-component-update", "--disable-sync",
                        "--hide-scrollbars", f"--user-data-dir={profile}", f"--window-size={width},{height}",
                        f"--screenshot={png}", page.resolve().as_uri()],
                       check=True, capture_output=True, timeout=timeout, env=env)
    if not png.is_file():
        raise RuntimeError(f"chromium wrote no screenshot of {page}")


def trim(png: Path, margin: int = 24) -> None:
    """Cut the empty page below the report and keep 256 colours: small files for the repository."""
    from PIL import Image, ImageChops

    image = Image.open(png).convert("RGB")
    box = ImageChops.difference(image, Image.new("RGB", image.size, "white")).getbbox()
    if box:
        image = image.crop((0, 0, image.width, min(image.height, box[3] + margin)))
    image.quantize(colors=256).save(png, optimize=True)


def main() -> int:
    sys.path.insert(0, str(ROOT))
    from advisor.api import Advisor
    from advisor.report.render import render

    OUT.mkdir(parents=True, exist_ok=True)
    advisor = Advisor()
    names = [line.split("\t")[0] for line in (ROOT / "examples" / "expected.tsv").read_text().splitlines() if line]
    with tempfile.TemporaryDirectory() as work:
        for name in names:
            decision = advisor.check(ROOT / "examples" / name, what_if=True)  # reports name the file, not its folder
            for lang in ("en", "ar"):
                page = Path(work) / f"{Path(name).stem}.{lang}.html"
                page.write_text(render(decision, "html", lang=lang), encoding="utf-8")
                png = OUT / f"{Path(name).stem}.{lang}.png"
                screenshot(page, png, WIDTH, 2400)
                trim(png)
                print(png.relative_to(ROOT))
        phone = Path(work) / "shortfall-huddle.ar.html"
        png = OUT / "shortfall-huddle.ar.phone.png"
        screenshot(phone, png, *PHONE)
        trim(png)
        print(png.relative_to(ROOT))
    return 0


if __name__ == "__main__":
    sys.exit(main())
