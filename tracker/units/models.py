"""Units (đơn vị) that receive tasks, and the other names they are known by."""

from __future__ import annotations

import enum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.core.models import TimestampMixin
from tracker.core.text import fold
from tracker.extensions import db


class UnitKind(enum.StrEnum):
    """What sort of body a unit is."""

    DEPARTMENT = "department"  # phòng chuyên môn, sở
    COMMUNE = "commune"  # UBND xã, thị trấn
    OFFICE = "office"  # Văn phòng HĐND và UBND
    OTHER = "other"  # lãnh đạo, công an, quân sự, mặt trận ...


class Unit(TimestampMixin, db.Model):
    """A department, commune, office or outside body that can lead or coordinate tasks."""

    __tablename__ = "units"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200), unique=True)
    short_name: Mapped[str | None] = mapped_column(sa.String(60))
    kind: Mapped[str] = mapped_column(sa.String(20), default=UnitKind.DEPARTMENT.value)
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("units.id", ondelete="SET NULL"))
    is_active: Mapped[bool] = mapped_column(default=True)
    # Diacritic-free lower-case name, so "noi vu" finds "Nội vụ" and sorting is stable.
    name_folded: Mapped[str] = mapped_column(sa.String(200), index=True)

    parent: Mapped[Unit | None] = relationship(remote_side=[id])
    aliases: Mapped[list[UnitAlias]] = relationship(
        back_populates="unit", cascade="all, delete-orphan", order_by="UnitAlias.alias"
    )

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.name_folded = fold(self.name or "")

    @property
    def display_name(self) -> str:
        """The name as people read it."""
        return self.name

    def __repr__(self) -> str:
        return f"<Unit {self.id} {self.name!r}>"


@sa.event.listens_for(Unit.name, "set")
def _refold_unit_name(target: Unit, value: str, _old: object, _initiator: object) -> None:
    target.name_folded = fold(value or "")


class UnitAlias(db.Model):
    """Another way a unit is written in notices ("Phòng TC-KH", "Công an huyện Vân Hồ")."""

    __tablename__ = "unit_aliases"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id", ondelete="CASCADE"), index=True)
    alias: Mapped[str] = mapped_column(sa.String(200))
    alias_folded: Mapped[str] = mapped_column(sa.String(200), unique=True)

    unit: Mapped[Unit] = relationship(back_populates="aliases")

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.alias_folded = fold(self.alias or "")
