"""Issue 20, fourth round: forms the held-out set h01-h24 showed, each written here in a
notice of its own (see "Fourth round" in docs/notice-reader.md)."""

from __future__ import annotations

from datetime import date

from tracker.notices.extract import read_notice


def _tasks(text: str, issued_on: date | None = date(2024, 10, 21)) -> list[tuple]:
    reading = read_notice(text, issued_on=issued_on)
    return [(t.lead, t.task, t.deadline, tuple(t.coordinating)) for t in reading.tasks]


def test_headings_of_a_lower_tier_committee_and_a_working_office_are_not_the_issuer():
    text = (
        "ỦY BAN NHÂN DÂN\nHUYỆN AN LÃO\n\nSố: 12/TB-UBND\n\nTHÔNG BÁO\n"
        "Kết luận của Chủ tịch UBND huyện:\n"
        "1. Văn phòng Điều phối giảm nghèo huyện:\n"
        "- Rà soát danh sách hộ cận nghèo.\n"
        "2. Phòng Lao động - Thương binh và Xã hội:\n"
        "- Chi trả trợ cấp đúng hạn.\n"
        "3. UBND các xã An Hòa, Hội Sơn:\n"
        "- Cập nhật dữ liệu hộ nghèo lên phần mềm.\n"
    )
    assert [lead for lead, *_ in _tasks(text)] == [
        "Văn phòng Điều phối giảm nghèo huyện",
        "Phòng Lao động - Thương binh và Xã hội",
        "UBND xã An Hòa",
        "UBND xã Hội Sơn",
    ]


def test_a_heading_of_the_issuers_own_tier_still_assigns_nothing():
    text = (
        "ỦY BAN NHÂN DÂN\nHUYỆN AN LÃO\n\nSố: 12/TB-UBND\n\nTHÔNG BÁO\n"
        "1. Phòng Tài chính - Kế hoạch:\n"
        "- Cân đối vốn cho các xã.\n"
        "2. UBND huyện:\n"
        "- Năm 2024 hoàn thành 3 xã nông thôn mới.\n"
    )
    assert [lead for lead, *_ in _tasks(text)] == ["Phòng Tài chính - Kế hoạch"]


def test_items_counted_in_words_take_the_units_an_intro_names():
    text = (
        "Kính gửi: UBND các phường.\n\n"
        "Theo dự báo, mùa mưa đến sớm. Sở Xây dựng đề nghị UBND các phường quan tâm chỉ đạo "
        "một số nội dung sau:\n\n"
        "Một là, rà soát các tuyến cống thoát nước. Thời gian hoàn thành trước ngày 15/11/2024.\n\n"
        "Hai là, kiểm tra cây xanh có nguy cơ gãy đổ.\n\n"
        "Ba là, báo cáo kết quả về Sở Xây dựng.\n"
    )
    assert [(lead, deadline) for lead, _, deadline, _ in _tasks(text)] == [
        ("UBND các phường", date(2024, 11, 15)),
        ("UBND các phường", None),
        ("UBND các phường", None),
    ]


def test_a_department_that_names_itself_by_its_head_alone_assigns():
    tasks = _tasks("Đồng thời, Sở giao Chi cục Kiểm lâm theo dõi cháy rừng hằng ngày.")
    assert [lead for lead, *_ in tasks] == ["Chi cục Kiểm lâm"]


def test_a_directive_a_unit_advises_stays_its_work():
    tasks = _tasks(
        "Phòng Văn hóa và Thông tin tham mưu UBND huyện chỉ đạo các trường học tổ chức "
        "ngày hội đọc sách."
    )
    assert [(lead, work.split()[0]) for lead, work, *_ in tasks] == [
        ("Phòng Văn hóa và Thông tin", "Tham")
    ]
