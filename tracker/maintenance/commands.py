"""`tracker backup` and `tracker restore`."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from tracker.maintenance.operations import BackupError, backup, restore


@click.command("backup")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def backup_command(out: Path) -> None:
    """Back up the live database to FILE (SQLite backup API, or pg_dump's custom format)."""
    try:
        backup(current_app.config["SQLALCHEMY_DATABASE_URI"], out)
    except BackupError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Backed up to {out} ({out.stat().st_size:,} bytes).")


@click.command("restore")
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def restore_command(source: Path, yes: bool) -> None:
    """Replace the database's content with the backup in SOURCE."""
    if not yes:
        click.confirm("This replaces every row of the database. Continue?", abort=True)
    from tracker.extensions import db

    db.session.remove()
    db.engine.dispose()
    try:
        restore(current_app.config["SQLALCHEMY_DATABASE_URI"], source)
    except BackupError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Restored from {source}.")


commands = [backup_command, restore_command]
