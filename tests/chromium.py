"""Drive a real headless Chromium over the DevTools protocol: open a page, record every
console message, uncaught exception, log entry and network request, evaluate JavaScript,
move the mouse, take screenshots. Used by the report's browser tests and by
docs/scripts/demo_screenshot.py."""

from __future__ import annotations

import base64
import contextlib
import itertools
import json
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import websocket

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
    "--disable-extensions",
    "--hide-scrollbars",
    "--remote-debugging-port=0",
)
LISTENING = re.compile(r"DevTools listening on (ws://\S+)")


def find_chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


@dataclass
class PageLog:
    """What a page did while it was open."""

    console: list[dict[str, Any]] = field(default_factory=list)
    exceptions: list[dict[str, Any]] = field(default_factory=list)
    log_entries: list[dict[str, Any]] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)  # why requests were refused ("csp", ...)

    def errors(self) -> list[str]:
        """Console errors and warnings, uncaught exceptions, and error-level log entries
        (where Chromium reports Content-Security-Policy violations)."""
        out = [
            f"console.{m['type']}: {m.get('args')}"
            for m in self.console
            if m["type"] in ("error", "warning", "assert")
        ]
        out += [f"exception: {e.get('exceptionDetails', {}).get('text')}" for e in self.exceptions]
        out += [
            f"log {e['entry']['level']}: {e['entry'].get('text')}"
            for e in self.log_entries
            if e["entry"]["level"] in ("error", "warning")
        ]
        return out


class Browser:
    """One headless Chromium process with one page (a context manager)."""

    def __init__(self, executable: str, *, width: int = 1200, height: int = 900) -> None:
        self._profile = tempfile.mkdtemp(prefix="oura-stats-chromium-")
        self._process = subprocess.Popen(
            [
                executable,
                *FLAGS,
                f"--user-data-dir={self._profile}",
                f"--window-size={width},{height}",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        self._ids = itertools.count(1)
        self.log = PageLog()
        url = self._wait_for_endpoint()
        self._socket = websocket.create_connection(url, timeout=60, suppress_origin=True)
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        self._session = self.call("Target.attachToTarget", targetId=target, flatten=True)[
            "sessionId"
        ]
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.call(f"{domain}.enable", session=True)

    def _wait_for_endpoint(self) -> str:
        assert self._process.stderr is not None
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            line = self._process.stderr.readline()
            if not line:
                break
            found = LISTENING.search(line)
            if found:
                # Keep reading what it logs, so that a full pipe never blocks the browser.
                threading.Thread(target=self._drain, daemon=True).start()
                return found.group(1)
        self.close()
        raise RuntimeError("chromium did not start its DevTools endpoint")

    def _drain(self) -> None:
        stream = self._process.stderr
        with contextlib.suppress(OSError, ValueError):
            while stream is not None and stream.readline():
                pass

    def call(self, method: str, *, session: bool = False, **params: Any) -> dict[str, Any]:
        """Send one command and return its result, recording events that arrive meanwhile."""
        ident = next(self._ids)
        message: dict[str, Any] = {"id": ident, "method": method, "params": params}
        if session:
            message["sessionId"] = self._session
        self._socket.send(json.dumps(message))
        while True:
            reply = json.loads(self._socket.recv())
            if reply.get("id") == ident:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                result: dict[str, Any] = reply.get("result", {})
                return result
            self._record(reply)

    def _record(self, event: dict[str, Any]) -> None:
        method, params = event.get("method"), event.get("params", {})
        if method == "Runtime.consoleAPICalled":
            self.log.console.append(params)
        elif method == "Runtime.exceptionThrown":
            self.log.exceptions.append(params)
        elif method == "Log.entryAdded":
            self.log.log_entries.append(params)
        elif method == "Network.requestWillBeSent":
            self.log.requests.append(params["request"]["url"])
        elif method == "Network.loadingFailed" and params.get("blockedReason"):
            self.log.blocked.append(params["blockedReason"])
        elif method == "Page.loadEventFired":
            self._loaded = True

    def open(self, url: str) -> None:
        """Navigate and wait for the load event."""
        self._loaded = False
        self.call("Page.navigate", session=True, url=url)
        deadline = time.monotonic() + 60
        while not self._loaded and time.monotonic() < deadline:
            self.evaluate("1")  # pumps events while waiting
            time.sleep(0.05)
        if not self._loaded:
            raise RuntimeError(f"{url} did not finish loading")

    def evaluate(self, expression: str) -> Any:
        result = self.call(
            "Runtime.evaluate", session=True, expression=expression, returnByValue=True
        )
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def set_viewport(self, width: int, height: int, *, mobile: bool = False) -> None:
        """Lay the page out as on a device of that size (a phone: `mobile`, 3 px per CSS px)."""
        self.call(
            "Emulation.setDeviceMetricsOverride",
            session=True,
            width=width,
            height=height,
            deviceScaleFactor=3 if mobile else 1,
            mobile=mobile,
        )

    def clear_viewport(self) -> None:
        self.call("Emulation.clearDeviceMetricsOverride", session=True)

    def mouse_move(self, x: float, y: float) -> None:
        self.call("Input.dispatchMouseEvent", session=True, type="mouseMoved", x=x, y=y)

    def screenshot(self, path: Path, *, full_page: bool = True) -> None:
        """A PNG of the viewport, or of the whole page."""
        params: dict[str, Any] = {"format": "png"}
        if full_page:
            size = self.call("Page.getLayoutMetrics", session=True)["cssContentSize"]
            clip = {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1}
            params.update(captureBeyondViewport=True, clip=clip)
        data = self.call("Page.captureScreenshot", session=True, **params)["data"]
        path.write_bytes(base64.b64decode(data))

    def print_pdf(self) -> bytes:
        return base64.b64decode(self.call("Page.printToPDF", session=True)["data"])

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._socket.close()
        self._process.terminate()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        if self._process.stderr is not None:
            self._process.stderr.close()
        shutil.rmtree(self._profile, ignore_errors=True)

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@contextlib.contextmanager
def browser(executable: str, **size: int) -> Iterator[Browser]:
    with Browser(executable, **size) as opened:
        yield opened


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def require_chromium() -> str:
    """Chromium's path; in CI its absence fails the test (`.ci/run` installs it)."""
    import pytest

    found = find_chromium()
    if found is None:
        if in_ci():
            pytest.fail("chromium is not installed: .ci/run installs it (apt-get install chromium)")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    return found
