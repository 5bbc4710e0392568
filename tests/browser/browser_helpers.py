# SPDX-License-Identifier: BSD-3-Clause
"""Helpers of the browser tests: processes, the browser page, bounded waits.

A real `g2live serve` (sim device), a real `g2live dashboard` and a headless Chromium.

Everything talks over loopback on free ports. The browser is Debian's /usr/bin/chromium driven by
/usr/bin/chromedriver through Selenium, started with the flags that keep it off the network and
a fresh profile folder. Screenshots go to ``artifacts/browser/`` (gitignored).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "artifacts" / "browser"
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
CHROME_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--window-size=1600,1100")
CLI = ("-c", "import sys; from g2live.cli import main; sys.exit(main(sys.argv[1:]))")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until(what: str, predicate: Callable[[], Any], timeout_s: float, poll_s: float = 0.1) -> Any:
    """Poll ``predicate`` until it returns something truthy; fail naming ``what`` after the timeout."""
    deadline = time.monotonic() + timeout_s
    last_exc: Exception | None = None
    while time.monotonic() < deadline:
        try:
            value = predicate()
        except AssertionError:
            raise
        except Exception as exc:  # noqa: BLE001 - the page may not be ready yet; retried
            last_exc, value = exc, None
        if value:
            return value
        time.sleep(poll_s)
    raise AssertionError(f"timed out after {timeout_s} s waiting for {what}"
                         + (f" (last error: {last_exc})" if last_exc else ""))


class Proc:
    """A `g2live` sub-command in its own process, logged to a file, stopped by its pid."""

    def __init__(self, name: str, args: list[str], log_dir: Path) -> None:
        self.name = name
        self.log = log_dir / f"{name}.log"
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        with open(self.log, "w") as fh:
            self.popen = subprocess.Popen([sys.executable, *CLI, *args], stdout=fh, stderr=subprocess.STDOUT,
                                          env=env, cwd=REPO)

    @property
    def pid(self) -> int:
        return self.popen.pid

    def check_alive(self) -> None:
        if self.popen.poll() is not None:
            tail = self.log.read_text()[-3000:]
            raise AssertionError(f"{self.name} exited with {self.popen.returncode}:\n{tail}")

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(10)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(5)


class Stack:
    """Endpoints and processes of one serve + dashboard pair."""

    def __init__(self, tmp: Path, serve_args: list[str] | None = None) -> None:
        self.pub = f"tcp://127.0.0.1:{free_port()}"
        self.control = f"tcp://127.0.0.1:{free_port()}"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.serve = Proc("serve", ["serve", "--pub", self.pub, "--control", self.control, "--seed", "7",
                                    *(serve_args or [])], tmp)
        self.dashboard = Proc("dashboard", ["dashboard", "--connect", self.pub, "--control", self.control,
                                            "--port", str(self.port)], tmp)
        try:
            # Ready when it says so: an HTTP probe of "/" would create (costly) page sessions.
            wait_until("the dashboard to listen", self._listening, 60, 0.2)
        except BaseException:
            self.stop()  # never leave processes behind when the fixture fails
            raise

    def _listening(self) -> bool:
        self.serve.check_alive()
        self.dashboard.check_alive()
        return f"g2live dashboard: {self.url}" in self.dashboard.log.read_text()

    def stop(self) -> None:
        self.dashboard.stop()
        self.serve.stop()


# Installed with Page.addScriptToEvaluateOnNewDocument: records the URL of every WebSocket.
WS_RECORDER = """
(() => {
  const Native = window.WebSocket;
  window.__g2live_ws = [];
  window.WebSocket = function (url, protocols) {
    window.__g2live_ws.push(String(new URL(url, location.href)));
    return new Native(url, protocols);
  };
  window.WebSocket.prototype = Native.prototype;
  Object.assign(window.WebSocket, {CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3});
})();
"""


def chrome_available() -> str | None:
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not Path(p).exists()]
    if missing:
        return f"{', '.join(missing)} not installed (apt-get install chromium chromium-driver)"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed in this Python"
    return None


class Page:
    """The dashboard in the browser, with helpers that read what is displayed."""

    def __init__(self, driver: Any, url: str) -> None:
        self.driver = driver
        self.url = url

    def js(self, code: str, *args: Any) -> Any:
        return self.driver.execute_script(code, *args)

    def model(self, name: str, attr: str) -> Any:
        return self.js(f"return Bokeh.documents[0].get_model_by_name({json.dumps(name)}).{attr}")

    def shown_html(self, name: str) -> str:
        """innerHTML of a Div as rendered on the page (not only the model's value)."""
        return self.js("const m = Bokeh.documents[0].get_model_by_name(arguments[0]);"
                       "const v = Bokeh.index.find_one(m); return v.markup_el.innerHTML;", name)

    def set_input(self, name: str, value: str) -> None:
        """Type into an input widget the way a user does: set the element's text, fire `change`."""
        self.js("const m = Bokeh.documents[0].get_model_by_name(arguments[0]);"
                "const el = Bokeh.index.find_one(m).input_el; el.value = arguments[1];"
                "el.dispatchEvent(new Event('change'));", name, value)

    def click(self, name: str) -> None:
        """A real DOM click on a Bokeh button."""
        self.js("const m = Bokeh.documents[0].get_model_by_name(arguments[0]);"
                "Bokeh.index.find_one(m).button_el.click();", name)

    def screenshot(self, name: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        self.driver.save_screenshot(str(path))
        return path

    def console_errors(self) -> list[dict[str, Any]]:
        return [e for e in self.driver.get_log("browser") if e["level"] == "SEVERE"]

    def requested_urls(self) -> set[str]:
        """Every URL the page fetched (Resource Timing: scripts, styles, images, XHR, fonts) and every
        WebSocket it opened (recorded by WS_RECORDER, installed before any page script runs)."""
        return set(self.js("return [location.href,"
                           " ...performance.getEntriesByType('resource').map(e => e.name),"
                           " ...(window.__g2live_ws || [])]"))


