"""Stored password hashes follow the argon2 parameters in force: upgraded at the next login."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError
from flask import Flask

import tracker.auth.operations as auth_operations
from tests.factories import PASSWORD, World
from tracker.auth.models import User
from tracker.extensions import db

NEW = PasswordHasher(time_cost=2, memory_cost=2048, parallelism=1)


def _stored_hash(user_id: int) -> str:
    db.session.expire_all()
    return db.session.get(User, user_id).password_hash  # type: ignore[union-attr]


def test_login_rehashes_with_new_parameters(
    app: Flask, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    old_hash = _stored_hash(world.lead_user.id)
    assert "$m=1024,t=1,p=1$" in old_hash  # the test suite's parameters
    monkeypatch.setattr(auth_operations, "_hasher", NEW)

    # A wrong password changes nothing.
    refused = app.test_client().post("/login", data={"username": "noivu", "password": "sai-mat"})
    assert refused.status_code == 200
    assert _stored_hash(world.lead_user.id) == old_hash

    response = app.test_client().post("/login", data={"username": "noivu", "password": PASSWORD})
    assert response.status_code == 302
    new_hash = _stored_hash(world.lead_user.id)
    assert new_hash != old_hash and "$m=2048,t=2,p=1$" in new_hash
    assert NEW.verify(new_hash, PASSWORD)
    assert not NEW.check_needs_rehash(new_hash)

    # The next login with the same parameters keeps the hash.
    again = app.test_client().post("/login", data={"username": "noivu", "password": PASSWORD})
    assert again.status_code == 302
    assert _stored_hash(world.lead_user.id) == new_hash


def test_unreadable_stored_hash_refuses_login_without_error(app: Flask, world: World) -> None:
    world.lead_user.password_hash = "pbkdf2:sha256:legacy$abc"
    db.session.commit()
    with pytest.raises(InvalidHashError):
        auth_operations._hasher.verify(world.lead_user.password_hash, PASSWORD)
    response = app.test_client().post("/login", data={"username": "noivu", "password": PASSWORD})
    assert response.status_code == 200  # the login page again, not a 500
