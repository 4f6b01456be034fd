"""Task commands: create the coming occurrences of recurring directives."""

from __future__ import annotations

from datetime import date

import click
from flask.cli import with_appcontext


@click.command("recurrences")
@click.option(
    "--today",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Act as if today were this date (YYYY-MM-DD).",
)
@with_appcontext
def recurrences_command(today: object) -> None:
    """Create the occurrences of recurring tasks due within the coming 60 days."""
    from tracker.core.time import today_local
    from tracker.extensions import db
    from tracker.tasks.recurrence import HORIZON_DAYS, ensure_occurrences

    day: date = today.date() if today is not None else today_local()  # type: ignore[attr-defined]
    created = ensure_occurrences(day)
    db.session.commit()
    click.echo(f"{len(created)} occurrence(s) created (horizon {HORIZON_DAYS} days from {day}).")
    for task in created:
        deadline = f"{task.deadline:%d/%m/%Y}" if task.deadline else "-"
        click.echo(f"  #{task.id} {task.period_label}: {deadline} {task.content[:60]}")


commands = [recurrences_command]
