"""Fixtures of the browser tests: Chromium, the app as its own server, a real SMTP server."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from email.policy import default as default_policy
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("TRACKER_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = ROOT / "test-artifacts" / "browser"
SECRET = "browser-test-secret"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test here is a browser test, and each says why it is skipped when it cannot run."""
    reason = _skip_reason()
    for item in items:
        if "tests/browser/" not in item.nodeid.replace(os.sep, "/"):
            continue
        item.add_marker(pytest.mark.browser)
        if reason:
            item.add_marker(pytest.mark.skip(reason=reason))


def _skip_reason() -> str | None:
    if not CHROMIUM.exists():
        return (
            f"browser tests need Chromium at {CHROMIUM} (Debian packages chromium and "
            "chromium-driver; .ci/run installs them with apt-get)"
        )
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "browser tests need Playwright for Python (pip install -e '.[test]')"
    return None


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Mailbox:
    """The messages the test SMTP server accepted."""

    url: str = ""
    messages: list[tuple[list[str], Message]] = field(default_factory=list)

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        message = message_from_bytes(envelope.content, policy=default_policy)  # type: ignore[attr-defined]
        self.messages.append((list(envelope.rcpt_tos), message))  # type: ignore[attr-defined]
        return "250 OK"

    def to(self, address: str) -> list[Message]:
        """The messages delivered to `address`."""
        return [m for rcpt, m in self.messages if address in rcpt]


@pytest.fixture(scope="module")
def mailbox() -> Iterator[Mailbox]:
    """A real SMTP server (aiosmtpd) on a free loopback port."""
    from aiosmtpd.controller import Controller

    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=free_port())
    controller.start()
    box.url = f"smtp://127.0.0.1:{controller.port}"
    try:
        yield box
    finally:
        controller.stop()


class LiveApp:
    """The app served by its own process on a loopback port, over one SQLite file or a fresh
    PostgreSQL database; restarted with a later TRACKER_FIXED_NOW to move its clock."""

    def __init__(self, folder: Path, mail_url: str, database_url: str | None = None) -> None:
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.folder = folder
        self.env = {
            **os.environ,
            "TRACKER_ENV": "development",
            "TRACKER_DATABASE_URL": database_url or f"sqlite:///{folder / 'tracker.db'}",
            "TRACKER_SECRET_KEY": SECRET,
            "TRACKER_UPLOAD_DIR": str(folder / "uploads"),
            "TRACKER_MAIL_URL": mail_url,
            "TRACKER_BASE_URL": self.base_url,
            "TRACKER_PORT": str(self.port),
            "TRACKER_RATELIMIT_STORAGE_URL": "memory://",
        }
        self.env.pop("TRACKER_FIXED_NOW", None)
        self.process: subprocess.Popen[bytes] | None = None
        self.log = (folder / "server.log").open("ab")
        self.now = ""

    def _run(self, *args: str, now: str | None = None) -> subprocess.CompletedProcess[str]:
        env = {**self.env, **({"TRACKER_FIXED_NOW": now} if now else {})}
        return subprocess.run(
            [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
        )

    def init(self) -> None:
        """Create the tables, the units and the people."""
        done = self._run("-m", "tests.browser.server", "init")
        assert done.returncode == 0, done.stderr

    def start(self, now: str) -> None:
        """(Re)start the server with its clock at `now` (ISO-8601, local time)."""
        self.stop()
        self.now = now
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.browser.server", "serve"],
            cwd=ROOT,
            env={**self.env, "TRACKER_FIXED_NOW": now},
            stdout=self.log,
            stderr=self.log,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the app server stopped; see {self.folder / 'server.log'}")
            try:
                with urllib.request.urlopen(self.base_url + "/login", timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("the app server did not answer within 30 s")

    def stop(self) -> None:
        """Stop the server process this fixture started."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def tracker(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run the `tracker` command line against the same database."""
        return self._run("-m", "tracker.cli", *args, now=self.now)


def _fresh_postgresql_database(name: str) -> str | None:
    """A new empty database on the server of TRACKER_TEST_DATABASE_URL; None without one."""
    from sqlalchemy import create_engine, make_url, text

    base = os.environ.get("TRACKER_TEST_DATABASE_URL")
    if not base:
        return None
    url = make_url(base)
    server = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with server.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    server.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


def _drop_postgresql_database(name: str) -> None:
    from sqlalchemy import create_engine, make_url, text

    url = make_url(os.environ["TRACKER_TEST_DATABASE_URL"])
    server = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with server.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    server.dispose()


@pytest.fixture(scope="module")
def live(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, mailbox: Mailbox
) -> Iterator[LiveApp]:
    """The app in its own process, a fresh database with the demo's units and people: SQLite,
    or PostgreSQL for a test parametrized with `@pytest.mark.parametrize("live",
    ["sqlite", "postgresql"], indirect=True)`."""
    backend = getattr(request, "param", "sqlite")
    database_url = None
    name = f"tracker_live_{os.getpid()}_{time.monotonic_ns()}"
    if backend == "postgresql":
        database_url = _fresh_postgresql_database(name)
        if database_url is None:
            pytest.skip("TRACKER_TEST_DATABASE_URL is not set: no PostgreSQL server to test on")
    app = LiveApp(tmp_path_factory.mktemp("live"), mailbox.url, database_url)
    app.init()
    try:
        yield app
    finally:
        app.stop()
        app.log.close()
        if database_url is not None:
            _drop_postgresql_database(name)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """The system's Chromium, headless, driven by Playwright."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


AXE_CANDIDATES = [
    os.environ.get("TRACKER_AXE_JS", ""),
    str(ROOT / "node_modules" / "axe-core" / "axe.min.js"),
    "/tmp/tracker-axe/node_modules/axe-core/axe.min.js",
]


@pytest.fixture(scope="session")
def axe_script() -> Path | None:
    """axe-core's script from npm, installed under /tmp when npm is at hand; None otherwise
    (docs/accessibility.md lists what is then checked by the tests' own rules and by hand)."""
    for candidate in AXE_CANDIDATES:
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    npm = shutil.which("npm")
    if npm is None:
        return None
    try:
        subprocess.run(
            [
                npm,
                "install",
                "--no-audit",
                "--no-fund",
                "--prefix",
                "/tmp/tracker-axe",
                "axe-core@4",
            ],
            capture_output=True,
            timeout=120,
            check=True,
        )
    except (subprocess.SubprocessError, OSError):
        return None
    path = Path(AXE_CANDIDATES[-1])
    return path if path.is_file() else None
