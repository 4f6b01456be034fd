"""The `tracker` command line: every Flask command plus the tracker's own."""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import datetime
from typing import Any

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext

from tracker import create_app


def _create_app() -> object:
    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app, add_version_option=False)
def main() -> None:
    """Meeting-conclusion task tracker."""


@main.command("demo")
@click.option("--if-empty", is_flag=True, help="Do nothing, successfully, when data exists.")
@click.option(
    "--today",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Place the story in the weeks before this day (YYYY-MM-DD) instead of today's.",
)
@with_appcontext
def demo_command(if_empty: bool, today: datetime | None) -> None:
    """Load demo data into an empty database: Vân Hồ district's meetings of spring 2017,
    re-dated to happen in the weeks before today (or --today)."""
    from tracker.demo import DEMO_PASSWORD, database_is_empty, load_demo
    from tracker.extensions import db

    try:
        empty = database_is_empty()
    except sa.exc.OperationalError as error:
        raise click.ClickException(
            "The database has no tables yet: run `tracker db upgrade` first."
        ) from error
    if not empty and if_empty:
        click.echo("The database already holds data; demo not loaded.")
        return
    if not empty:
        raise click.ClickException(
            "The database already holds data; the demo is loaded only into an empty database."
        )
    logins = load_demo(today.date() if today else None)
    db.session.commit()
    click.echo(f"Demo data loaded. Logins (password for all: {DEMO_PASSWORD}):")
    for username, role, unit in logins:
        click.echo(f"  {username:<14} {role:<7} {unit}")
    click.echo(f"Open {current_app.config['TRACKER_BASE_URL']}/login")


@main.group("users")
def users_group() -> None:
    """Manage users."""


@users_group.command("create")
@click.argument("username")
@click.option("--unit", "unit_name", help="The user's unit, by name, short name or alias.")
@click.option(
    "--role",
    type=click.Choice(["unit", "unit_head", "chair", "office", "admin"]),
    default="unit",
    show_default=True,
)
@click.option("--full-name", default="", help="Full name (default: the username).")
@click.option("--email", default=None)
@click.option("--locale", type=click.Choice(["vi", "en"]), default="vi")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@with_appcontext
def users_create(
    username: str,
    unit_name: str | None,
    role: str,
    full_name: str,
    email: str | None,
    locale: str,
    password_stdin: bool,
) -> None:
    """Create a user."""
    from tracker.auth.operations import create_user
    from tracker.core.errors import ValidationError
    from tracker.extensions import db
    from tracker.units.operations import find_unit

    unit = None
    if unit_name:
        unit = find_unit(unit_name)
        if unit is None:
            raise click.ClickException(f"Unknown unit: {unit_name}")
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = create_user(
            username=username,
            full_name=full_name or username,
            password=password,
            role=role,
            unit=unit,
            email=email,
            locale=locale,
        )
    except ValidationError as error:
        db.session.rollback()
        raise click.ClickException("; ".join(error.errors.values())) from error
    db.session.commit()
    click.echo(f"Created {user.username} ({role}{', ' + unit.name if unit else ''}).")


@users_group.command("list")
@with_appcontext
def users_list() -> None:
    """List users."""
    from tracker.auth.models import User
    from tracker.extensions import db

    for user in db.session.scalars(sa.select(User).order_by(User.username)):
        state = "active" if user.is_active_user else "inactive"
        unit = user.unit.name if user.unit else "-"
        click.echo(f"{user.username:<16} {user.role:<7} {state:<8} {unit} <{user.email or ''}>")


@users_group.command("token")
@click.argument("username")
@click.option("--label", default="cli")
@with_appcontext
def users_token(username: str, label: str) -> None:
    """Print a new API token for USERNAME (shown once; only its hash is stored)."""
    from tracker.auth.models import User
    from tracker.auth.operations import create_api_token
    from tracker.extensions import db

    user = db.session.scalar(sa.select(User).where(User.username == username.lower()))
    if user is None:
        raise click.ClickException(f"Unknown user: {username}")
    token = create_api_token(user, label)
    db.session.commit()
    click.echo(token)


def _cli_user(username: str) -> Any:
    from tracker.auth.models import User
    from tracker.extensions import db

    user = db.session.scalar(sa.select(User).where(User.username == username.strip().lower()))
    if user is None:
        raise click.ClickException(f"Unknown user: {username}")
    return user


def _change_user(username: str, change: str, apply: Callable[[Any], None]) -> None:
    """Run `apply(user)` (an operation), record it in the audit log and commit; the refusal of
    an operation (the last active admin, say) is an error message and exit status 1."""
    from tracker.auth import audit
    from tracker.core.errors import ValidationError
    from tracker.extensions import db

    user = _cli_user(username)
    try:
        apply(user)
    except ValidationError as error:
        db.session.rollback()
        raise click.ClickException("; ".join(error.errors.values())) from error
    audit.record(
        audit.AuditKind.USER_CHANGED,
        username=user.username,
        detail=f"{change} (command line)",
    )
    db.session.commit()
    click.echo(f"{user.username}: {change}.")


@users_group.command("set-role")
@click.argument("username")
@click.argument("role", type=click.Choice(["unit", "unit_head", "chair", "office", "admin"]))
@with_appcontext
def users_set_role(username: str, role: str) -> None:
    """Give USERNAME another ROLE (their logins end). The last active admin keeps the role."""
    from tracker.auth.operations import set_role

    _change_user(username, f"role={role}", lambda user: set_role(user, role))


@users_group.command("deactivate")
@click.argument("username")
@with_appcontext
def users_deactivate(username: str) -> None:
    """Stop USERNAME from logging in (their logins end). The last active admin stays active."""
    from tracker.auth.operations import set_active

    _change_user(username, "active=False", lambda user: set_active(user, False))


@users_group.command("activate")
@click.argument("username")
@with_appcontext
def users_activate(username: str) -> None:
    """Let USERNAME log in again."""
    from tracker.auth.operations import set_active

    _change_user(username, "active=True", lambda user: set_active(user, True))


@users_group.command("rekey-mfa")
@with_appcontext
def users_rekey_mfa() -> None:
    """Seal every stored TOTP secret with the current key (TRACKER_MFA_KEY, or the one
    derived from TRACKER_SECRET_KEY); run after changing keys, then drop the old ones."""
    from tracker.auth.mfa import reseal_all
    from tracker.extensions import db

    result = reseal_all()
    db.session.commit()
    click.echo(
        f"Sealed {result.resealed} TOTP secret(s) with the current key "
        f"({result.plaintext} were stored in plaintext)."
    )
    if result.unreadable:
        raise click.ClickException(
            f"No configured key opens the TOTP secret of: {', '.join(result.unreadable)}. "
            "Add the key they were sealed with to TRACKER_MFA_OLD_KEYS and run this again, "
            "or reset their second factor (admin page of the user)."
        )


def _register_domain_commands() -> None:
    # Each domain may offer `commands` (a list of click commands) in its commands.py.
    import importlib
    import importlib.util

    from tracker import DOMAINS

    for domain in DOMAINS:
        name = f"tracker.{domain}.commands"
        if importlib.util.find_spec(name) is not None:
            for command in importlib.import_module(name).commands:
                main.add_command(command)
    # The notice reader's command needs no database and no app.
    if importlib.util.find_spec("tracker.notices.cli") is not None:
        from tracker.notices.cli import extract_command

        main.add_command(extract_command)


_register_domain_commands()

if __name__ == "__main__":  # pragma: no cover
    main()
