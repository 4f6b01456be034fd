"""PgBouncer in transaction mode: why TRACKER_DATABASE_PGBOUNCER turns off psycopg's prepared
statements, and why the scheduler's advisory lock needs TRACKER_SCHEDULER_DATABASE_URL.

The PgBouncer tests start their own pgbouncer (Debian package, /usr/sbin/pgbouncer) on a free
port with a pool of one server connection, so every client shares it; they skip without
pgbouncer or without a PostgreSQL test database.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from tests.conftest import PG_URL
from tracker.config import load_config
from tracker.jobs import SchedulerConfigError, lock_engine, try_lead

PGBOUNCER = "/usr/sbin/pgbouncer"

needs_pgbouncer = pytest.mark.skipif(
    not (PG_URL and Path(PGBOUNCER).exists()),
    reason="needs /usr/sbin/pgbouncer and TRACKER_TEST_DATABASE_URL",
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def bouncer_url() -> Iterator[str]:
    """The test database's URL through a pgbouncer of our own (transaction pooling)."""
    target = sa.engine.make_url(PG_URL)
    port = _free_port()
    # pgbouncer refuses to run as root: as root, it runs as postgres, which must read the
    # folder (pytest's tmp_path is private to root).
    folder = Path(tempfile.mkdtemp(prefix="tracker-pgbouncer-"))
    folder.chmod(0o777)
    (folder / "userlist.txt").write_text(f'"{target.username}" ""\n')
    (folder / "pgbouncer.ini").write_text(
        "[databases]\n"
        f"* = host={target.host or '127.0.0.1'} port={target.port or 5432}\n"
        "[pgbouncer]\n"
        f"listen_addr = 127.0.0.1\nlisten_port = {port}\nunix_socket_dir =\n"
        f"auth_type = trust\nauth_file = {folder}/userlist.txt\n"
        "pool_mode = transaction\ndefault_pool_size = 1\n"
        f"logfile = {folder}/pgbouncer.log\n"
    )
    for path in folder.iterdir():
        path.chmod(0o666)
    command = [PGBOUNCER, str(folder / "pgbouncer.ini")]
    if os.geteuid() == 0:
        command[1:1] = ["-u", pwd.getpwnam("postgres").pw_name]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        url = target.set(port=port).render_as_string(hide_password=False)
        deadline = time.monotonic() + 10
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"pgbouncer did not start: {process.stderr.read()!r}")  # type: ignore[union-attr]
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)
        shutil.rmtree(folder, ignore_errors=True)


def _interleaved(url: str, connect_args: dict[str, object]) -> int:
    """Three clients take turns running the same statements; the number of failures."""
    engine = sa.create_engine(url, connect_args=connect_args, poolclass=sa.pool.NullPool)
    connections = [engine.connect() for _ in range(3)]
    failures = 0
    try:
        for i in range(30):
            connection = connections[i % 3]
            try:
                connection.execute(sa.text("SELECT :i + 1"), {"i": i})
                connection.execute(
                    sa.text("SELECT count(*) FROM pg_class WHERE oid > :i"), {"i": i}
                )
                connection.commit()
            except sa.exc.DBAPIError:
                connection.rollback()
                failures += 1
    finally:
        for connection in connections:
            connection.close()
        engine.dispose()
    return failures


@needs_pgbouncer
def test_prepared_statements_off_work_through_transaction_pooling(
    bouncer_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("TRACKER_DATABASE_URL", bouncer_url)
    monkeypatch.setenv("TRACKER_DATABASE_PGBOUNCER", "1")
    options = load_config(str(tmp_path))["SQLALCHEMY_ENGINE_OPTIONS"]
    assert _interleaved(bouncer_url, options["connect_args"]) == 0
    # What the setting prevents: psycopg prepares a statement on one server connection and
    # another client, handed the same connection, prepares its own under the same name.
    assert _interleaved(bouncer_url, {"prepare_threshold": 0}) > 0


@needs_pgbouncer
def test_an_advisory_lock_through_transaction_pooling_is_granted_twice(bouncer_url: str) -> None:
    """Why the scheduler takes its lock over a direct connection."""
    for url, second_granted in ((bouncer_url, True), (PG_URL, False)):
        engine = sa.create_engine(
            url, connect_args={"prepare_threshold": None}, poolclass=sa.pool.NullPool
        )
        first, second = engine.connect(), engine.connect()
        try:
            assert try_lead(first) is True
            assert try_lead(second) is second_granted
        finally:
            for connection in (first, second):
                connection.exec_driver_sql("SELECT pg_advisory_unlock_all()")
                connection.commit()
                connection.close()
            engine.dispose()


def test_the_scheduler_locks_over_its_direct_url(app: Flask) -> None:
    app.config["TRACKER_DATABASE_PGBOUNCER"] = True
    with pytest.raises(SchedulerConfigError, match="TRACKER_SCHEDULER_DATABASE_URL"):
        lock_engine(app)
    direct = f"sqlite:///{app.instance_path}/direct.db"
    app.config["TRACKER_SCHEDULER_DATABASE_URL"] = direct
    engine = lock_engine(app)
    assert engine.url.render_as_string() == direct
    engine.dispose()
    app.config["TRACKER_DATABASE_PGBOUNCER"] = False
    app.config["TRACKER_SCHEDULER_DATABASE_URL"] = ""
    from tracker.extensions import db

    assert lock_engine(app) is db.engine
