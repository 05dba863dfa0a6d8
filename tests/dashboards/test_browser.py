"""A real browser over a running app: start `streamlit run dashboards/app.py` on 127.0.0.1, open every page
in headless Chromium and save screenshots (set DATAMILL_SCREENSHOTS=DIR to keep them). Needs
`make browser-deps` (chromium + fonts-noto-cjk, so Korean glyphs render)."""

from __future__ import annotations

import base64
import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest
from PIL import Image

CHROMIUM = "/usr/bin/chromium"
REPO = Path(__file__).resolve().parents[2]
URLS = ["", "overview", "browse", "audit", "verification", "curation", "long_context", "mixtures"]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not os.path.exists(CHROMIUM),
        reason=f"{CHROMIUM} is absent: run `make browser-deps` (apt-get install -y chromium fonts-noto-cjk)",
    ),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(ready, proc: subprocess.Popen, failure, timeout_s: float = 60) -> None:
    """Poll `ready()` until it holds; fail with `failure()` if the process exits or the time runs out."""
    deadline = time.monotonic() + timeout_s
    while not ready():
        if proc.poll() is not None or time.monotonic() > deadline:
            pytest.fail(failure())
        time.sleep(0.3)


@pytest.fixture
def server(dash_store):
    port = _free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            str(REPO / "dashboards/app.py"),
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
            "--server.headless",
            "true",
            "--browser.gatherUsageStats",
            "false",
            "--",
            "--store",
            str(dash_store.root),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        cwd=REPO,
    )
    url = f"http://127.0.0.1:{port}"

    def healthy() -> bool:
        try:
            return urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).read() == b"ok"
        except OSError:
            return False

    try:
        wait_for(healthy, proc, lambda: f"streamlit did not start: {proc.stderr.read().decode()[-2000:]}")
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=20)


CHROME_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--hide-scrollbars",
    "--window-size=1400,1400",
]


class Browser:
    """Headless Chromium driven over the DevTools protocol, so each page is waited for in real time. Chromium's
    --virtual-time-budget does not wait for Streamlit's websocket: on fresh clones a page now and then stayed a
    loading skeleton through six screenshots in a row."""

    def __init__(self, profile: Path, flags: tuple[str, ...] = ()):
        from websockets.sync.client import connect  # a Streamlit dependency

        self.events: list[dict] = []  # DevTools events seen so far (e.g. Network.requestWillBeSent)
        self.proc = subprocess.Popen([CHROMIUM, *CHROME_FLAGS, *flags, "--remote-debugging-port=0",
                                      f"--user-data-dir={profile}", "about:blank"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
        self.stack = contextlib.ExitStack()
        try:  # a failed start must not leave Chromium running until pytest exits
            port_file = profile / "DevToolsActivePort"
            wait_for(lambda: port_file.exists() and len(port_file.read_text().split()) == 2, self.proc,
                     lambda: f"chromium did not open its DevTools port (exit code {self.proc.poll()})")  # fmt: skip
            port, path = port_file.read_text().split()
            self.ws = self.stack.enter_context(
                connect(f"ws://127.0.0.1:{port}{path}", max_size=None, open_timeout=30)
            )
            self.next_id, self.session = 0, None
            target = self.call("Target.createTarget", url="about:blank")["targetId"]
            self.session = self.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
            self.call(
                "Emulation.setDeviceMetricsOverride",
                width=1400,
                height=1400,
                deviceScaleFactor=1,
                mobile=False,
            )
        except BaseException:
            self.close()
            raise

    def call(self, method: str, **params) -> dict:
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params}
        if self.session:
            msg["sessionId"] = self.session
        self.ws.send(json.dumps(msg))
        while True:  # events arrive in between; keep them
            reply = json.loads(self.ws.recv(timeout=60))
            if "method" in reply:
                self.events.append(reply)
            elif reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply["result"]

    def js(self, expression: str):
        return self.call("Runtime.evaluate", expression=expression, returnByValue=True)["result"].get("value")

    def open(self, url: str, title: str, timeout_s: float = 120) -> str:
        """Navigate, wait until the page's h1 is `title` and its text has stopped changing, return the HTML."""
        self.call("Page.navigate", url=url)
        deadline, last = time.monotonic() + timeout_s, None
        while time.monotonic() < deadline:
            time.sleep(1.0)
            text = self.js("(document.querySelector('h1') || {}).innerText + '\\n' + document.body.innerText")
            if text and text.startswith(title + "\n") and text == last:
                return self.js("document.documentElement.outerHTML")
            last = text
        raise AssertionError(
            f"{url}: no settled page titled {title!r} in {timeout_s:.0f} s; text: {str(last)[:300]}"
        )

    def screenshot(self, out: Path) -> None:
        out.write_bytes(base64.b64decode(self.call("Page.captureScreenshot", format="png")["data"]))

    def close(self) -> None:
        self.stack.close()
        self.proc.terminate()
        self.proc.wait(timeout=20)


def main_area_colors(png: Path) -> int:
    img = Image.open(png).convert("RGB")
    main = img.crop(
        (img.width // 4, 200, img.width, img.height * 2 // 3)
    )  # right of the sidebar, below the title
    colors = main.getcolors(maxcolors=1 << 16)
    return 1 << 16 if colors is None else len(colors)


TITLES = {
    "": "Overview",
    "overview": "Overview",
    "browse": "Browse",
    "audit": "Audit",
    "verification": "Verification",
    "curation": "Curation",
    "long_context": "Long context",
    "mixtures": "Mixtures",
}


def test_every_page_renders_in_chromium(server, tmp_path, ids):
    out_dir = Path(os.environ.get("DATAMILL_SCREENSHOTS", tmp_path))
    out_dir.mkdir(parents=True, exist_ok=True)
    shots = {name or "root": (f"{server}/{name}", TITLES[name]) for name in URLS}
    shots["browse_korean"] = (f"{server}/browse?id={ids['korean']}", "Browse")
    browser = Browser(tmp_path / "chromium-profile")
    try:
        # a deep link is the very first thing this fresh server serves: it must still run app.py (our navigation
        # with its titles), not Streamlit's legacy pages-folder mode (file-name labels such as "long context")
        first = browser.open(f"{server}/long_context", "Long context")
        assert "Coverage of generated" in first, "the long-context page rendered without its coverage section"
        assert ">Verification<" in first and ">verification<" not in first
        for name, (url, title) in shots.items():
            browser.open(url, title)
            text = browser.js("document.body.innerText")
            assert "Page not found" not in text, f"{url}: {text[:300]}"  # issue 20 item 15: /overview
            png = out_dir / f"{name}.png"
            browser.screenshot(png)
            n = main_area_colors(png)
            assert n > 40, f"{png}: main area looks blank ({n} colours)"  # an empty page or an error box
    finally:
        browser.close()
    assert (
        shutil.which("fc-list") is None
        or subprocess.run(["fc-list", ":lang=ko"], capture_output=True, text=True, check=False).stdout.strip()
    ), "no Korean font: make browser-deps"


class Recorder(BaseHTTPRequestHandler):
    """A stand-in for a remote host: every request it gets is a fetch the page should never have made."""

    seen: ClassVar[list[str]] = []

    def do_GET(self):
        self.seen.append(self.path)
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_markdown_in_a_sample_is_shown_verbatim_and_fetches_nothing(server, tmp_path, ids):
    """Issue 20 item 5: a web page whose text holds a markdown image, a heading, a link, `*stars*` and `$x$`
    is shown as typed. Chromium maps remote.example to a local recorder, so a fetched image would be seen
    twice: as a DevTools network event and as a request at the recorder (on the old st.markdown display both
    saw /pixel.png)."""
    from tests.dashboards.catalog_fixture import MARKDOWN_BAIT, NEEDLE

    remote = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    Recorder.seen = []
    threading.Thread(target=remote.serve_forever, daemon=True).start()
    rules = f"--host-resolver-rules=MAP remote.example 127.0.0.1:{remote.server_address[1]}"
    browser = Browser(tmp_path / "chromium-profile", flags=(rules,))
    try:
        browser.call("Network.enable")
        page = browser.open(f"{server}/browse?id={ids['markdown']}", "Browse")
        out_dir = Path(os.environ.get("DATAMILL_SCREENSHOTS", tmp_path))
        out_dir.mkdir(parents=True, exist_ok=True)
        browser.js("document.querySelector('[data-testid=\"stHtml\"]')?.scrollIntoView()")
        browser.screenshot(out_dir / "browse_markdown.png")
        text = browser.js("document.body.innerText")
        for line in MARKDOWN_BAIT.strip().split("\n\n"):
            assert line in text, f"not shown verbatim: {line!r}"
        dom = browser.js("""JSON.stringify({
            img: [...document.images].map(i => i.src).filter(s => s.includes('remote.example')),
            links: [...document.links].map(a => a.href).filter(h => h.includes('remote.example')),
            headings: [...document.querySelectorAll('h1,h2,h3,h4,h5,h6')].map(h => h.innerText),
            math: document.querySelectorAll('.katex').length})""")
        dom = json.loads(dom)
        assert dom["img"] == [] and dom["links"] == [] and dom["math"] == 0, dom
        assert not any("Not a heading" in h for h in dom["headings"]), dom["headings"]
        assert "&lt;" not in text and "Plain first paragraph." in page
        fetched = [
            e["params"]["request"]["url"]
            for e in browser.events
            if e["method"] == "Network.requestWillBeSent"
            and "remote.example" in e["params"]["request"]["url"]
        ]
        assert fetched == [] and Recorder.seen == [], (fetched, Recorder.seen)
        # st.html keeps our own markup: the long-context needle is still highlighted at its offsets
        browser.open(f"{server}/browse?id={ids['needle']}", "Browse")
        assert browser.js("[...document.querySelectorAll('mark')].map(m => m.innerText)") == [NEEDLE]
        # the trap works: the same browser does reach the recorder when it is sent there
        browser.call("Page.navigate", url="http://remote.example/control")
        wait_for(
            lambda: Recorder.seen, browser.proc, lambda: "the recorder never saw the control request", 30
        )
        assert Recorder.seen == ["/control"]
    finally:
        browser.close()
        remote.shutdown()
