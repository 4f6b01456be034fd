"""Issue 20, third round of unseen texts: tests/notices/heldout/h01-h24, written before the
rules were read. The odd half was used for development, the even half only measured (see
"Unseen texts, third round" in docs/notice-reader.md). The floors sit a little under the
figures reached, so a rule that breaks a form these texts use fails here."""

import json
from datetime import date
from pathlib import Path

import pytest

from tracker.notices.evaluate import evaluate_folder, selects
from tracker.notices.extract import read_notice

HELDOUT = Path(__file__).parent / "heldout"


def _totals(only: str) -> dict:
    return json.loads(list(evaluate_folder(HELDOUT, only=only))[-1])


@pytest.mark.parametrize(
    ("only", "task_f1", "lead", "deadline"),
    [
        # (fifth round, news scaffolding: even 0.972 / 0.986 / 0.986, all 0.985 / 0.992 /
        # 0.992; fourth round, developed on all 24: odd 1.0 / 1.0 / 1.0, even 0.921 / 0.986 /
        # 0.986, all 0.957 / 0.992 / 0.992; third round: even 0.863 / 0.889 / 0.984, all
        # 0.926; before the third round: odd 0.867, even 0.855, all 0.860)
        ("h01-h24:odd", 0.97, 0.97, 0.97),
        ("h01-h24:even", 0.95, 0.97, 0.97),
        ("", 0.97, 0.98, 0.98),
    ],
)
def test_heldout_figures_do_not_fall(only, task_f1, lead, deadline):
    totals = _totals(only)
    assert totals["notices_unread"] == 0
    assert totals["task_f1"] >= task_f1
    assert totals["lead_accuracy"] >= lead
    assert totals["deadline_accuracy"] >= deadline


def test_ranges_with_a_name_prefix_select_by_number_and_parity():
    assert selects("h01-h24:odd", "h03")
    assert not selects("h01-h24:odd", "h04")
    assert selects("h01-24:even", "h04")
    assert not selects("h01-h24", "x03")
    assert not selects("h01-h24", "03")
    assert selects("201-220", "205")


def _tasks(text: str, issued_on: date | None = date(2024, 10, 21)) -> list[tuple]:
    reading = read_notice(text, issued_on=issued_on)
    return [(t.lead, t.task, t.deadline, tuple(t.coordinating)) for t in reading.tasks]


def test_a_named_unit_and_a_bare_verb_after_a_comma_is_the_next_directive():
    tasks = _tasks(
        "Giao Sở Giáo dục và Đào tạo rà soát nhu cầu giáo viên trước ngày 20/11, "
        "Sở Nội vụ thẩm định, trình phương án tuyển dụng."
    )
    assert [(lead, deadline) for lead, _, deadline, _ in tasks] == [
        ("Sở Giáo dục và Đào tạo", date(2024, 11, 20)),
        ("Sở Nội vụ", None),
    ]


def test_units_that_are_objects_before_a_comma_start_no_directive():
    tasks = _tasks(
        "Giao Phòng Kinh tế lập hồ sơ, gửi Sở Xây dựng, Sở Tài chính thẩm định theo quy định."
    )
    assert [lead for lead, *_ in tasks] == ["Phòng Kinh tế"]


def test_a_clause_after_a_dated_clause_is_a_task_without_that_date():
    tasks = _tasks(
        "Yêu cầu Sở Y tế hoàn thành tiêm vắc xin sởi cho trẻ, chậm nhất ngày 15/11/2024; "
        "hướng dẫn các trạm y tế theo dõi phản ứng sau tiêm."
    )
    assert [(lead, deadline) for lead, _, deadline, _ in tasks] == [
        ("Sở Y tế", date(2024, 11, 15)),
        ("Sở Y tế", None),
    ]


def test_an_undated_sentence_after_a_dated_directive_is_its_own_task():
    tasks = _tasks(
        "Sở Công Thương chủ trì kiểm tra các cửa hàng xăng dầu; báo cáo UBND tỉnh trước ngày "
        "30/11/2024. Đồng thời, rà soát, đề xuất xử lý các cửa hàng vi phạm nhiều lần."
    )
    assert [(lead, deadline) for lead, _, deadline, _ in tasks] == [
        ("Sở Công Thương", date(2024, 11, 30)),
        ("Sở Công Thương", None),
    ]


def test_a_title_and_a_bare_head_point_back_at_the_unit_just_named():
    tasks = _tasks(
        "Riêng Trường THPT Chuyên, hiệu trưởng trường phải rà soát lại đội tuyển học sinh giỏi."
    )
    assert [lead for lead, *_ in tasks] == ["Trường THPT Chuyên"]


def test_a_group_given_a_responsibility_is_a_lead():
    tasks = _tasks("Các chủ cơ sở lưu trú có trách nhiệm khai báo tạm trú cho khách.")
    assert [lead for lead, *_ in tasks] == ["Các chủ cơ sở lưu trú"]


def test_a_headline_of_a_visit_is_not_a_directive():
    tasks = _tasks(
        "Chủ tịch UBND tỉnh làm việc với ngành Giáo dục về chuẩn bị năm học mới\n\n"
        "Chủ tịch UBND tỉnh yêu cầu Sở Giáo dục và Đào tạo rà soát cơ sở vật chất trường học."
    )
    assert [lead for lead, *_ in tasks] == ["Sở Giáo dục và Đào tạo"]


def test_a_telegrams_addressee_list_and_an_appendix_after_the_signature():
    text = (
        "CÔNG ĐIỆN\n"
        "CHỦ TỊCH ỦY BAN NHÂN DÂN TỈNH điện:\n"
        "- Chủ tịch UBND các huyện, thị xã, thành phố.\n"
        "Theo tin của Đài Khí tượng, đêm nay có mưa lớn.\n"
        "Đài Phát thanh - Truyền hình tỉnh tăng thời lượng đưa tin về mưa lũ.\n"
        "Yêu cầu các cơ quan, đơn vị khẩn trương triển khai thực hiện Công điện này./.\n"
        "Nơi nhận:\n- Như trên;\n- Lưu: VT.\nCHỦ TỊCH\nNguyễn Văn A\n"
        "PHỤ LỤC\n"
        "STT\tNhiệm vụ\tĐơn vị chủ trì\tĐơn vị phối hợp\tThời hạn\n"
        "1\tKiểm tra an toàn hồ đập\tSở Nông nghiệp và Môi trường\tCông an tỉnh\tThường xuyên\n"
    )
    tasks = _tasks(text)
    assert [(lead, coordinating) for lead, _, _, coordinating in tasks] == [
        ("Đài Phát thanh - Truyền hình tỉnh", ()),
        ("Sở Nông nghiệp và Môi trường", ("Công an tỉnh",)),
    ]


def test_a_disaster_committee_keeps_its_lower_case_name():
    tasks = _tasks(
        "Văn phòng Ban Chỉ huy phòng chống thiên tai và TKCN tỉnh tổ chức trực ban 24/24 giờ."
    )
    assert [lead for lead, *_ in tasks] == [
        "Văn phòng Ban Chỉ huy phòng chống thiên tai và TKCN tỉnh"
    ]
