"""Online backups: SQLite's backup API, PostgreSQL's pg_dump and pg_restore."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from pathlib import Path

import sqlalchemy as sa


class BackupError(Exception):
    """The backup or restore could not be done; the message says why."""


def _sqlite_path(url: sa.URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up")
    return Path(url.database)


def backup(database_url: str, out: Path) -> Path:
    """Write a consistent copy of the live database to `out` while it is in use."""
    url = sa.make_url(database_url)
    out.parent.mkdir(parents=True, exist_ok=True)
    if url.get_backend_name() == "sqlite":
        source = sqlite3.connect(_sqlite_path(url))
        target = sqlite3.connect(out)
        try:
            # The online backup API copies page by page and restarts if a writer changes a
            # page meanwhile, so the copy is a consistent snapshot of committed data.
            source.backup(target, pages=256)
        finally:
            target.close()
            source.close()
        return out
    if url.get_backend_name() == "postgresql":
        _pg_tool("pg_dump", url, ["--format=custom", "--no-owner", f"--file={out}"])
        return out
    raise BackupError(f"no backup method for {url.get_backend_name()}")


def restore(database_url: str, source: Path) -> None:
    """Replace the database's content with the backup in `source`."""
    if not source.exists():
        raise BackupError(f"{source} does not exist")
    url = sa.make_url(database_url)
    if url.get_backend_name() == "sqlite":
        target_path = _sqlite_path(url)
        check = sqlite3.connect(source)
        try:
            if check.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                raise BackupError(f"{source} is not a sound SQLite database")
        except sqlite3.DatabaseError as error:
            raise BackupError(f"{source} is not an SQLite database: {error}") from error
        finally:
            check.close()
        backup_conn = sqlite3.connect(source)
        target = sqlite3.connect(target_path)
        try:
            backup_conn.backup(target)
        finally:
            target.close()
            backup_conn.close()
        return
    if url.get_backend_name() == "postgresql":
        _pg_tool(
            "pg_restore",
            url,
            ["--clean", "--if-exists", "--no-owner", "--single-transaction", str(source)],
        )
        return
    raise BackupError(f"no restore method for {url.get_backend_name()}")


def _pg_tool(tool: str, url: sa.URL, args: list[str]) -> None:
    binary = shutil.which(tool)
    if binary is None:
        raise BackupError(f"{tool} is not installed (Debian package postgresql-client)")
    command = [binary, f"--dbname={_libpq_url(url)}", *args]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BackupError(f"{tool} failed: {result.stderr.strip()[:2000]}")


def _libpq_url(url: sa.URL) -> str:
    # pg_dump speaks libpq URLs, without SQLAlchemy's "+driver" part.
    return url.set(drivername="postgresql").render_as_string(hide_password=False)
