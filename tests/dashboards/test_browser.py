"""A real browser over a running app: start `streamlit run dashboards/app.py` on 127.0.0.1, open every page
in headless Chromium and save screenshots (set DATAMILL_SCREENSHOTS=DIR to keep them). Needs
`make browser-deps` (chromium + fonts-noto-cjk, so Korean glyphs render)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from PIL import Image

CHROMIUM = "/usr/bin/chromium"
REPO = Path(__file__).resolve().parents[2]
URLS = ["", "browse", "audit", "verification", "curation", "long_context", "mixtures"]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"{CHROMIUM} is absent: run `make browser-deps` "
                                                            "(apt-get install -y chromium fonts-noto-cjk)"),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(dash_store):
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(REPO / "dashboards/app.py"),
                             "--server.port", str(port), "--server.address", "127.0.0.1", "--server.headless", "true",
                             "--browser.gatherUsageStats", "false", "--", "--store", str(dash_store.root)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=REPO)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).read() == b"ok":
                    break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"streamlit did not start: {proc.stderr.read().decode()[-2000:]}")
            time.sleep(0.5)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=20)


CHROME_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars",
                "--window-size=1400,1400", "--virtual-time-budget=30000"]


def screenshot(url: str, out: Path) -> None:
    subprocess.run([CHROMIUM, *CHROME_FLAGS, f"--screenshot={out}", url], check=True, capture_output=True, timeout=120)


def dom(url: str) -> str:
    return subprocess.run([CHROMIUM, *CHROME_FLAGS, "--dump-dom", url], check=True, capture_output=True, text=True,
                          timeout=120).stdout


def main_area_colors(png: Path) -> int:
    img = Image.open(png).convert("RGB")
    main = img.crop((img.width // 4, 200, img.width, img.height * 2 // 3))  # right of the sidebar, below the title
    colors = main.getcolors(maxcolors=1 << 16)
    return 1 << 16 if colors is None else len(colors)


def retry(fn, ok, attempts: int = 6, pause_s: float = 5.0):
    """fn() until ok(result): chromium's virtual time does not wait for the app's websocket, so a page whose first
    script run is still going (a fresh server imports everything; a busy machine) is retried after a real pause,
    not judged. Returns the last result."""
    for k in range(attempts):
        got = fn()
        if ok(got) or k == attempts - 1:
            return got
        time.sleep(pause_s)


def test_every_page_renders_in_chromium(server, tmp_path, ids):
    out_dir = Path(os.environ.get("DATAMILL_SCREENSHOTS", tmp_path))
    out_dir.mkdir(parents=True, exist_ok=True)
    shots = {name or "overview": f"{server}/{name}" for name in URLS}
    shots["browse_korean"] = f"{server}/browse?id={ids['korean']}"
    # a deep link is the very first thing this fresh server serves: it must still run app.py (our navigation
    # with its titles), not Streamlit's legacy pages-folder mode (file-name labels such as "long context")
    first = retry(lambda: dom(f"{server}/long_context"), lambda html: "Coverage of generated" in html)
    assert "Coverage of generated" in first, "the long-context page never rendered"
    assert ">Verification<" in first and ">verification<" not in first
    for name, url in shots.items():
        png = out_dir / f"{name}.png"
        n = retry(lambda u=url, p=png: screenshot(u, p) or main_area_colors(p), lambda colours: colours > 40)
        # a page still loading (or an empty error page) is a flat background below the title
        assert n > 40, f"{png}: main area looks blank ({n} colours)"
    assert shutil.which("fc-list") is None or subprocess.run(
        ["fc-list", ":lang=ko"], capture_output=True, text=True, check=False).stdout.strip(), "no Korean font: make browser-deps"
