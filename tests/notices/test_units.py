"""Unit names: splitting lists as written and matching them to the unit directory."""

from __future__ import annotations

from tracker.notices.units import GroupMatch, UnitMatch, UnitMatcher, split_units

DIRECTORY = [
    (1, "Phòng Tài chính - Kế hoạch", "Phòng TC-KH", None),
    (2, "Phòng Tài nguyên và Môi trường", "Phòng TN&MT", None),
    (3, "Ủy ban nhân dân xã Tân Lập", "UBND xã Tân Lập", None),
    (4, "Văn phòng HĐND và UBND huyện", None, ["Văn phòng huyện"]),
    (5, "Trung tâm Y tế huyện", "TTYT huyện", None),
    (6, "Phòng Y tế", None, None),
]


def test_split_keeps_long_names_whole():
    assert split_units("Sở Văn hóa, Thể thao và Du lịch, Văn phòng HĐND và UBND huyện") == [
        "Sở Văn hóa, Thể thao và Du lịch",
        "Văn phòng HĐND và UBND huyện",
    ]
    assert split_units("các sở QHKT, Xây dựng và các đơn vị liên quan") == [
        "Sở QHKT",
        "Sở Xây dựng",
        "các đơn vị liên quan",
    ]


def test_matcher_is_tolerant_of_spelling():
    matcher = UnitMatcher(DIRECTORY)
    for written, unit_id in [
        ("Phòng Tài chính – Kế hoạch", 1),
        ("phong tc-kh", 1),
        ("Phòng TN-MT", 2),
        ("Phòng Tài nguyên - Môi trường", 2),
        ("Uỷ ban nhân dân xã Tân Lập", 3),
        ("UBND xa Tan Lap", 3),
        ("Văn phòng Hội đồng nhân dân và Ủy ban nhân dân huyện", 4),
        ("Phòng Y tế", 6),
    ]:
        result = matcher.match(written)
        assert isinstance(result, UnitMatch), written
        assert result.unit_id == unit_id, written
        assert result.score >= 80


def test_matcher_tells_groups_and_unknowns():
    matcher = UnitMatcher(DIRECTORY)
    assert matcher.match("UBND các xã") == GroupMatch("communes", "UBND các xã")
    assert isinstance(matcher.match("các phòng chuyên môn"), GroupMatch)
    assert isinstance(matcher.match("các sở, ban, ngành"), GroupMatch)
    assert matcher.match("Công an tỉnh Hà Giang") is None
    assert matcher.best("Công an tỉnh Hà Giang").score < 80
