"""The app as its own process for the browser tests: `python -m tests.browser.server init|serve`."""

from __future__ import annotations

import sys

import sqlalchemy as sa

from tracker import create_app
from tracker.auth.models import Role, User
from tracker.auth.operations import create_user
from tracker.demo import COMMUNES, DEMO_PASSWORD, EMAIL_DOMAIN, UNITS
from tracker.extensions import db
from tracker.units.models import Unit, UnitKind
from tracker.units.operations import save_unit

# The people the day needs: the demo's logins for these roles, with the demo's password.
PEOPLE = [
    ("admin", "Quản trị hệ thống", Role.ADMIN, None),
    ("chutich", "Nguyễn Huy Anh", Role.CHAIR, "Lãnh đạo UBND huyện"),
    ("vanphong", "Lò Thị Hoa", Role.OFFICE, "Văn phòng HĐND và UBND huyện"),
    ("noivu", "Hà Thị Lan", Role.UNIT, "Phòng Nội vụ"),
    ("tckh", "Vì Văn Quang", Role.UNIT, "Phòng Tài chính - Kế hoạch"),
    ("tuphap", "Lường Thị Mai", Role.UNIT, "Phòng Tư pháp"),
    ("vhtt", "Mùa A Chứ", Role.UNIT, "Phòng Văn hóa và Thông tin"),
]


def load_directory() -> None:
    """The demo's units and the people above; no meetings (the test creates its own)."""
    db.create_all()
    for name, short, kind, aliases in UNITS:
        save_unit(None, name=name, short_name=short, kind=kind, aliases=aliases)
    for commune in COMMUNES:
        save_unit(
            None, name=f"UBND xã {commune}", short_name=f"Xã {commune}", kind=UnitKind.COMMUNE
        )
    save_unit(
        None,
        name="Đài Truyền thanh - Truyền hình huyện",
        short_name="Đài TT-TH",
        kind=UnitKind.OTHER,
    )
    db.session.flush()
    for username, full_name, role, unit_name in PEOPLE:
        unit = (
            db.session.scalar(sa.select(Unit).where(Unit.name == unit_name)) if unit_name else None
        )
        create_user(
            username=username,
            full_name=full_name,
            password=DEMO_PASSWORD,
            role=role.value,
            unit=unit,
            email=f"{username}@{EMAIL_DOMAIN}",
        )
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == len(PEOPLE)


def main(argv: list[str]) -> None:
    """`init` creates the tables and the directory; `serve` serves on TRACKER_PORT."""
    app = create_app()
    if argv[:1] == ["init"]:
        with app.app_context():
            load_directory()
        return
    import os

    from werkzeug.serving import make_server

    # No reminder scheduler beside it: the test runs `tracker remind` itself, at the time it
    # chooses.
    server = make_server("127.0.0.1", int(os.environ["TRACKER_PORT"]), app, threaded=True)
    print("ready", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main(sys.argv[1:])
