"""Hardening fixtures: an API token per role of the world."""

from __future__ import annotations

import pytest

from tests.factories import World
from tracker.auth.operations import create_api_token
from tracker.extensions import db


@pytest.fixture
def role_tokens(world: World) -> dict[str, str]:
    """A token for each role: lead unit, coordinating unit, unrelated unit, chair, office,
    admin."""
    people = world.people(inactive=False)
    result = {name: create_api_token(user, "hardening") for name, user in people.items()}
    db.session.commit()
    return result


# The reminder tests' real SMTP server and pass runner.
from tests.reminders.conftest import mail_app, run, smtp  # noqa: E402, F401
