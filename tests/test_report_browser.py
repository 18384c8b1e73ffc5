"""The HTML report in a real headless browser: it loads, renders, and logs nothing to the
console. Skipped (with the reason) where no Chromium / Chrome is installed: it is not a
dependency of mixedopt (`apt-get install chromium` brings one)."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

import mixedopt as mo

BROWSER = next(
    (b for b in ("chromium", "chromium-browser", "google-chrome", "chrome") if shutil.which(b)),
    None,
)
pytestmark = pytest.mark.skipif(BROWSER is None, reason="no chromium / chrome on PATH")
CONSOLE = re.compile(r"CONSOLE.*|Uncaught .*")


def _open(page, shot) -> list[str]:
    """Load ``page`` headless, screenshot it to ``shot``; return the console lines."""
    proc = subprocess.run(
        [
            BROWSER,
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--window-size=1280,2400",
            "--enable-logging=stderr",
            "--v=0",
            f"--screenshot={shot}",
            page.resolve().as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return [m.group(0) for m in CONSOLE.finditer(proc.stderr)]


def test_the_console_check_catches_an_error(tmp_path):
    page = tmp_path / "bad.html"
    page.write_text("<html><body><script>undefinedFunction();</script>x</body></html>")
    assert any("undefinedFunction" in line for line in _open(page, tmp_path / "bad.png"))


def test_report_loads_without_console_errors(tmp_path):
    X, y, _ = mo.datasets.planted(m=120, d=3, h=3, noise=0.05, seed=0)
    res = mo.train_exact(X, y, hidden=[3], weights="integer", weight_bound=3, time_limit=20)
    page = tmp_path / "report.html"
    mo.inspect_targets(res, X, y).to_html(page)
    shot = tmp_path / "report.png"
    assert _open(page, shot) == []
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000  # a page was drawn
