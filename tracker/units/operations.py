"""Managing the directory of units."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _

from tracker.core.errors import ValidationError
from tracker.core.text import fold, normalize
from tracker.extensions import db
from tracker.units.models import Unit, UnitAlias, UnitKind


def active_units() -> list[Unit]:
    """Active units in alphabetical order (diacritics ignored)."""
    return list(
        db.session.scalars(
            sa.select(Unit).where(Unit.is_active.is_(True)).order_by(Unit.name_folded)
        )
    )


def find_unit(name: str) -> Unit | None:
    """A unit by its name, short name or an alias, ignoring case and diacritics."""
    key = fold(name)
    if not key:
        return None
    unit = db.session.scalar(sa.select(Unit).where(Unit.name_folded == key))
    if unit is not None:
        return unit
    unit = db.session.scalar(sa.select(Unit).join(UnitAlias).where(UnitAlias.alias_folded == key))
    if unit is not None:
        return unit
    for candidate in db.session.scalars(sa.select(Unit).where(Unit.short_name.is_not(None))):
        if fold(candidate.short_name or "") == key:
            return candidate
    return None


def _check_unit(
    unit: Unit | None, name: str, parent: Unit | None, kind: str, aliases: list[str]
) -> None:
    errors: dict[str, str] = {}
    if not name:
        errors["name"] = _("Vui lòng nhập tên đơn vị.")
    else:
        clash = db.session.scalar(sa.select(Unit).where(Unit.name_folded == fold(name)))
        if clash is not None and clash is not unit:
            errors["name"] = _("Đã có đơn vị tên này.")
    if kind not in {k.value for k in UnitKind}:
        errors["kind"] = _("Loại đơn vị không hợp lệ.")
    ancestor = parent
    while ancestor is not None and unit is not None:
        if ancestor is unit:
            errors["parent"] = _("Đơn vị cấp trên không thể là chính nó hoặc đơn vị cấp dưới.")
            break
        ancestor = ancestor.parent
    for alias in aliases:
        owner = db.session.scalar(sa.select(UnitAlias).where(UnitAlias.alias_folded == fold(alias)))
        if owner is not None and owner.unit is not unit:
            errors["aliases"] = _(
                "Tên gọi khác “%(alias)s” đã thuộc đơn vị %(unit)s.",
                alias=alias,
                unit=owner.unit.name,
            )
            break
    if errors:
        raise ValidationError(errors)


def _clean_aliases(aliases: list[str], name: str) -> list[str]:
    seen: dict[str, str] = {}
    for alias in aliases:
        alias = normalize(alias)
        if alias and fold(alias) != fold(name):
            seen.setdefault(fold(alias), alias)
    return list(seen.values())


def save_unit(
    unit: Unit | None,
    *,
    name: str,
    short_name: str = "",
    kind: str = UnitKind.DEPARTMENT.value,
    parent: Unit | None = None,
    aliases: list[str] | None = None,
    is_active: bool = True,
) -> Unit:
    """Create (unit=None) or update a unit with its aliases."""
    name = normalize(name)
    clean = _clean_aliases(aliases or [], name)
    _check_unit(unit, name, parent, kind, clean)
    if unit is None:
        unit = Unit(name=name)
        db.session.add(unit)
    unit.name = name
    unit.short_name = normalize(short_name) or None
    unit.kind = kind
    unit.parent = parent
    unit.is_active = is_active
    wanted = {fold(a): a for a in clean}
    for existing in list(unit.aliases):
        if existing.alias_folded not in wanted:
            unit.aliases.remove(existing)
        else:
            wanted.pop(existing.alias_folded)
    db.session.flush()
    for alias in wanted.values():
        unit.aliases.append(UnitAlias(alias=alias))
    db.session.flush()
    return unit


def add_alias(unit: Unit, alias: str) -> None:
    """Remember another name for `unit` (used when a reviewer maps an unknown name)."""
    alias = normalize(alias)
    if not alias or fold(alias) in (fold(unit.name), *(a.alias_folded for a in unit.aliases)):
        return
    # Another unit's own name is never learned as this one's alias: the notice named that unit,
    # and the clerk's pick for one notice must not take the name away from it for the next.
    if db.session.scalar(
        sa.select(Unit.id).where(Unit.name_folded == fold(alias), Unit.id != unit.id).limit(1)
    ):
        return
    existing = db.session.scalar(sa.select(UnitAlias).where(UnitAlias.alias_folded == fold(alias)))
    if existing is None:
        unit.aliases.append(UnitAlias(alias=alias))
        db.session.flush()
