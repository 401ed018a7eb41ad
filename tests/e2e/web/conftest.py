"""A live portal: `pahna demo` builds a settled workspace, `pahna users` adds one account
per role, and `pahna serve` runs as a real subprocess on 127.0.0.1."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright import sync_api as playwright_api

REPO = Path(__file__).resolve().parents[3]
CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]
ACCOUNTS = {  # username: (role options, password)
    "minister": (("--role", "admin"), "admin-pass-1404"),
    "qom": (("--role", "officer", "--province", "IR-25"), "officer-pass-1404"),
    "uni": (("--role", "producer", "--producer", "qom-univ"), "producer-pass-1404"),
    "audit": (("--role", "auditor"), "auditor-pass-1404"),
}


@dataclass(frozen=True)
class LivePortal:
    url: str
    home: Path
    token: str

    def password(self, username: str) -> str:
        return ACCOUNTS[username][1]


def pahna(*args: str, stdin: str | None = None, timeout: float = 300) -> str:
    result = subprocess.run([sys.executable, "-m", "pahna", *args], input=stdin,
                            capture_output=True, text=True, timeout=timeout, cwd=REPO,
                            env={**os.environ, "PYTHONPATH": str(REPO / "src")})
    assert result.returncode == 0, result.stderr
    return result.stdout


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_up(url: str, process: subprocess.Popen[bytes], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"pahna serve exited with {process.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/api/periods", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"pahna serve did not answer at {url} within {seconds} s")


@contextmanager
def serving(home: Path, token: str) -> Iterator[LivePortal]:
    """`pahna serve` on `home` at a free loopback port, stopped on the way out."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(
        [sys.executable, "-m", "pahna", "serve", "--home", str(home), "--port", str(port)],
        cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO / "src")},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until_up(url, process)
        yield LivePortal(url, home, token)
    finally:
        process.terminate()
        process.wait(timeout=20)


@pytest.fixture(scope="session")
def demo_home(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A drafted demo workspace with the accounts, kept untouched (copy it to use it)."""
    home = tmp_path_factory.mktemp("portal") / "demo"
    pahna("demo", "--home", str(home), "--flows", "40000")
    for username, (options, password) in ACCOUNTS.items():
        pahna("users", "add", username, *options, "--password-stdin", "--home", str(home),
              stdin=password + "\n")
    token = pahna("users", "token", "minister", "--scope", "read", "--scope", "disputes:write",
                  "--scope", "registry:write", "--home", str(home)).strip()
    return home, token


def _copy(demo_home: tuple[Path, str], tmp_path_factory: pytest.TempPathFactory,
          name: str) -> Path:
    home = tmp_path_factory.mktemp(name) / "demo"
    shutil.copytree(demo_home[0], home)
    return home


@pytest.fixture(scope="session")
def live_portal(demo_home: tuple[Path, str], tmp_path_factory: pytest.TempPathFactory
                ) -> Iterator[LivePortal]:
    with serving(_copy(demo_home, tmp_path_factory, "live"), demo_home[1]) as portal:
        yield portal


@pytest.fixture(scope="module")
def draft_portal(demo_home: tuple[Path, str], tmp_path_factory: pytest.TempPathFactory
                 ) -> Iterator[LivePortal]:
    """A portal of its own whose month is still a draft (for finalizing in the browser)."""
    with serving(_copy(demo_home, tmp_path_factory, "draft"), demo_home[1]) as portal:
        yield portal


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Headless Debian chromium, driven by Playwright."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (./run test does)")
    with playwright_api.sync_playwright() as driver:
        launched = driver.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        yield launched
        launched.close()
