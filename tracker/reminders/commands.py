"""Commands: `tracker remind` (one pass) and `tracker scheduler` (the periodic process)."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

import click
from flask import current_app
from flask.cli import with_appcontext

from tracker.core.time import local_zone


def parse_now(text: str) -> datetime:
    """An ISO-8601 datetime; without an offset it is local time (TRACKER_TIMEZONE)."""
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError as error:
        raise click.BadParameter(f"not an ISO-8601 datetime: {text}") from error
    if value.tzinfo is None:
        value = value.replace(tzinfo=local_zone())
    return value.astimezone(UTC)


@click.command("remind")
@click.option("--now", "now_text", help="Run as if the time were this ISO-8601 datetime.")
@click.option("--dry-run", is_flag=True, help="List what would be sent; send nothing.")
@with_appcontext
def remind_command(now_text: str | None, dry_run: bool) -> None:
    """Run exactly one reminder pass and print its result as one JSON line."""
    from tracker.reminders.passes import run_pass

    now = parse_now(now_text) if now_text else None
    if now is not None:
        # Everything the pass touches (the tasks' "today", timestamps) sees the same time.
        current_app.config["TRACKER_FIXED_NOW"] = now
    result = run_pass(now, dry_run=dry_run)
    click.echo(json.dumps(result.as_dict(), ensure_ascii=False))


@click.command("scheduler")
@click.option(
    "--standby-interval",
    default=15.0,
    show_default=True,
    help="Seconds between attempts to take over from the active scheduler (PostgreSQL).",
)
def scheduler_command(standby_interval: float) -> None:
    """Run the periodic jobs (reminders every minute) until Ctrl-C."""
    from tracker import create_app
    from tracker.jobs import SchedulerConfigError, run_scheduler

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    try:
        run_scheduler(create_app(), standby_seconds=standby_interval)
    except SchedulerConfigError as error:
        raise click.ClickException(str(error)) from error


commands = [remind_command, scheduler_command]
