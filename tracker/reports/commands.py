"""Command line: `tracker report` for scheduled reporting, `tracker import-xlsx` for lists."""

from __future__ import annotations

from pathlib import Path

import click
import sqlalchemy as sa
from flask.cli import with_appcontext

from tracker.reports.exports import FORMATS


@click.command("report")
@click.option("--period", "period_code", help="2017-Q2 (quarter), 2017-06, 2017-H1 or 2017.")
@click.option("--from", "start", help="First day (YYYY-MM-DD), instead of --period.")
@click.option("--to", "end", help="Last day (YYYY-MM-DD), with --from.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), required=True)
@click.option("--out", "out", type=click.Path(dir_okay=False, writable=True), required=True)
@click.option("--unit", "unit_id", type=int, help="Only the tasks this unit leads.")
@click.option("--meeting", "meeting_id", type=int, help="Only this meeting's tasks.")
@with_appcontext
def report_command(
    period_code: str | None,
    start: str | None,
    end: str | None,
    fmt: str,
    out: str,
    unit_id: int | None,
    meeting_id: int | None,
) -> None:
    """Write the report of a period to a file (.xlsx, .docx or .csv)."""
    from tracker.core.time import now_utc, today_local
    from tracker.reports.exports import log_export, render
    from tracker.reports.operations import UnknownFilter, build_report, make_scope
    from tracker.reports.periods import PeriodError, date_range, parse_period

    try:
        if period_code and (start or end):
            raise click.UsageError("Give either --period or --from/--to, not both.")
        if period_code:
            period = parse_period(period_code)
        elif start or end:
            period = date_range(start, end)
        else:
            raise click.UsageError("Give --period (e.g. 2017-Q2) or --from and --to.")
        scope = make_scope(period, today=today_local(), unit_id=unit_id, meeting_id=meeting_id)
    except PeriodError as error:
        raise click.BadParameter(str(error), param_hint="--period") from error
    except UnknownFilter as error:
        raise click.ClickException(error.message) from error
    report = build_report(scope, generated_dt=now_utc())
    Path(out).write_bytes(render(report, fmt))
    log_export(None, fmt, report, "cli")
    from tracker.extensions import db

    db.session.commit()
    click.echo(
        f"{out}: {len(report.tasks)} tasks, {period.start:%d/%m/%Y}–{period.end:%d/%m/%Y}, "
        f"{len(report.summary.rows)} units."
    )


@click.command("import-xlsx")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--meeting", "meeting_id", type=int, required=True, help="The meeting's id.")
@click.option("--user", "username", help="Record the tasks as entered by this user.")
@click.option("--yes", is_flag=True, help="Create the valid rows without asking.")
@click.option("--dry-run", is_flag=True, help="Only show the rows and their problems.")
@with_appcontext
def import_command(
    file: str, meeting_id: int, username: str | None, yes: bool, dry_run: bool
) -> None:
    """Read an Excel list of tasks, show each row's problems, then create the valid rows."""
    from tracker.auth.models import User
    from tracker.core.errors import ValidationError
    from tracker.extensions import db
    from tracker.meetings.models import Meeting
    from tracker.reports.imports import ImportFileError, create_rows, read_workbook

    meeting = db.session.get(Meeting, meeting_id)
    if meeting is None:
        raise click.ClickException(f"Unknown meeting: {meeting_id}")
    actor = None
    if username:
        actor = db.session.scalar(sa.select(User).where(User.username == username.lower()))
        if actor is None:
            raise click.ClickException(f"Unknown user: {username}")
    try:
        rows = read_workbook(Path(file).read_bytes(), meeting)
    except ImportFileError as error:
        raise click.ClickException(str(error)) from error
    valid = [r for r in rows if r.ok]
    for row in rows:
        mark = "ok " if row.ok else "ERR"
        lead = row.lead.name if row.lead else row.lead_text
        deadline = f"{row.deadline:%d/%m/%Y}" if row.deadline else row.deadline_text or "-"
        click.echo(f"{mark} row {row.row_number}: {row.content[:60]} | {lead} | {deadline}")
        for problem in row.problems:
            click.echo(f"      {problem}")
    click.echo(f"{len(valid)} of {len(rows)} rows can be created.")
    if dry_run or not valid:
        return
    if not yes and not click.confirm(f"Create {len(valid)} tasks in meeting {meeting.id}?"):
        click.echo("Nothing created.")
        return
    try:
        created = create_rows(rows, meeting, actor)
    except ValidationError as error:
        db.session.rollback()
        raise click.ClickException("; ".join(error.errors.values())) from error
    db.session.commit()
    click.echo(f"Created {len(created)} tasks.")


@click.command("rebuild-tallies")
@click.option("--check", is_flag=True, help="Only compare; exit 1 when the tallies differ.")
@with_appcontext
def rebuild_tallies_command(check: bool) -> None:
    """Recompute the dashboard's tallies (task_tallies) from the tasks. The triggers keep them
    exact; this is for after restoring a table by hand, or to check."""
    from tracker.extensions import db
    from tracker.reports import tallies

    differences = tallies.differences(db.session.connection())
    if check:
        db.session.rollback()
        if differences:
            raise click.ClickException(f"{len(differences)} tallies differ from the tasks.")
        click.echo("The tallies match the tasks.")
        return
    rows = tallies.rebuild(db.session.connection())
    db.session.commit()
    click.echo(f"Rebuilt {rows} tallies ({len(differences)} differed).")


commands = [report_command, import_command, rebuild_tallies_command]
