"""The forms of news-style and letter-style directives the reader was generalised to (issue 20),
each in a sentence written for the test, the confidence of each field, and the notice-level
warnings; and, where the shared corpus is present, its figures."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from tracker.notices.evaluate import evaluate_folder
from tracker.notices.extract import (
    EARLY_DEADLINE_WARNING,
    FEW_TASKS_WARNING,
    NO_DATE_WARNING,
    UNDATED_DEADLINE_WARNING,
    UNKNOWN_LEAD_WARNING,
    read_notice,
)
from tracker.notices.units import split_units

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus"
if not CORPUS.is_dir():
    CORPUS = Path("/work/shared/corpus")


def tasks_of(text: str, **kwargs: object) -> list[tuple[str, list[str], str, date | None]]:
    return [(t.lead, t.coordinating, t.task, t.deadline) for t in read_notice(text, **kwargs).tasks]


def test_directives_without_chu_tri():
    issued = date(2025, 10, 2)
    assert tasks_of(
        "UBND tỉnh giao trách nhiệm Sở Tài chính rà soát các khoản chi, báo cáo trước ngày 28-10.",
        issued_on=issued,
    ) == [("Sở Tài chính", [], "Rà soát các khoản chi, báo cáo", date(2025, 10, 28))]
    assert tasks_of("Riêng Sở Xây dựng khẩn trương kiểm tra các công trình cao tầng.") == [
        ("Sở Xây dựng", [], "Khẩn trương kiểm tra các công trình cao tầng", None)
    ]
    assert tasks_of("Lãnh đạo thành phố giao đích danh Sở Tư pháp thẩm định hồ sơ.")[0][0] == (
        "Sở Tư pháp"
    )
    # "Nội" of a place name before "giao" is not the "nội dung" that blocks a trigger.
    assert tasks_of("UBND TP Hà Nội giao Sở Xây dựng chủ trì, tham mưu thành lập đoàn.")[0][0] == (
        "Sở Xây dựng"
    )


def test_one_directive_with_a_list_of_work_is_one_task():
    assert tasks_of(
        "Công an tỉnh bố trí lực lượng tuần tra ban đêm; chỉ đạo Công an các xã, phường huy động "
        "dân quân; phân luồng giao thông tại các nút trọng điểm."
    ) == [
        (
            "Công an tỉnh",
            [],
            "Bố trí lực lượng tuần tra ban đêm; chỉ đạo Công an các xã, phường huy động dân quân;"
            " phân luồng giao thông tại các nút trọng điểm",
            None,
        )
    ]


def test_sentences_without_a_subject_continue_the_lead_before():
    text = (
        "Chủ tịch UBND tỉnh giao UBND huyện Tân Phú cắm biển cảnh báo sạt lở.\n"
        "Đồng thời, theo dõi sát diễn biến, di dời người dân khi cần thiết.\n"
        "Theo chức năng, nhiệm vụ được giao, chủ động bố trí kinh phí khắc phục.\n"
        "Trong đó, lưu ý các hộ sát mép sông.\n"
    )
    tasks = tasks_of(text)
    assert [t[0] for t in tasks] == ["UBND huyện Tân Phú"] * 3
    assert tasks[1][2] == "Theo dõi sát diễn biến, di dời người dân khi cần thiết"
    assert tasks[2][2].endswith("hủ động bố trí kinh phí khắc phục")
    # In the same paragraph, "Đồng thời ..." goes on with the same task.
    same = read_notice(
        "Yêu cầu Sở Y tế rà soát cơ số thuốc. Đồng thời phải lập phương án dự phòng."
    ).tasks
    assert [t.task for t in same] == ["Rà soát cơ số thuốc. Đồng thời phải lập phương án dự phòng"]


def test_a_lede_restated_by_the_body_is_read_once():
    tasks = tasks_of(
        "UBND tỉnh yêu cầu Sở Nông nghiệp và Môi trường kiểm tra đê điều.\n"
        "Cụ thể, UBND tỉnh giao Sở Nông nghiệp và Môi trường chủ trì, phối hợp với UBND các xã, "
        "phường, đặc khu kiểm tra đê điều, hồ đập trên địa bàn, báo cáo trước ngày 30/11/2025."
    )
    assert tasks == [
        (
            "Sở Nông nghiệp và Môi trường",
            ["UBND các xã, phường, đặc khu"],
            "Kiểm tra đê điều, hồ đập trên địa bàn, báo cáo",
            date(2025, 11, 30),
        )
    ]


def test_generic_closings_at_the_end_are_not_tasks():
    tasks = tasks_of(
        "Sở Y tế kiểm tra an toàn thực phẩm.\n"
        "Các sở, ngành, địa phương căn cứ chức năng, nhiệm vụ để tổ chức thực hiện theo kế hoạch "
        "đề ra.\n"
        "UBND tỉnh yêu cầu thủ trưởng các sở, ngành, Chủ tịch UBND các xã nghiêm túc triển khai, "
        "thực hiện kế hoạch này, bảo đảm đồng bộ, hiệu quả./."
    )
    assert [t[0] for t in tasks] == ["Sở Y tế"]


def test_deadlines_of_one_clause_and_years_from_the_text():
    # The deadline before "để" is the lead's; what follows is the recipient's work.
    (task,) = tasks_of(
        "Thứ Hai, 08/05/2017, 08:25\n"
        "UBND các huyện có trách nhiệm báo cáo kết quả qua Sở Y tế trước ngày 10-5 để tổng hợp, "
        "báo cáo UBND tỉnh trước ngày 18-5-2017."
    )
    assert task[2] == "Báo cáo kết quả qua Sở Y tế" and task[3] == date(2017, 5, 10)
    # A time intro gives the deadline; a table row of the header gives the issue date.
    reading = read_notice(
        "VĂN PHÒNG | CỘNG HÒA |\nSố: 12/VP | Hà Nội, ngày 08 tháng 9 năm 2018 |\n"
        "Trong thời gian từ đầu tháng 9 tới ngày 15.11, Công an tỉnh bố trí lực lượng thường xuyên "
        "kiểm tra."
    )
    assert reading.notice.issued_on == date(2018, 9, 8)
    assert reading.tasks[0].deadline == date(2018, 11, 15)


def test_unit_name_grammar():
    assert split_units("UBND quận, huyện, thị xã") == ["UBND quận, huyện, thị xã"]
    assert split_units("UBND các huyện, thị xã, thành phố, sở, ban, ngành liên quan") == [
        "UBND các huyện, thị xã, thành phố",
        "sở, ban, ngành liên quan",
    ]
    assert split_units("Phòng Kinh tế, Hạ tầng và Đô thị, Sở Y tế, Tài chính và Xây dựng") == [
        "Phòng Kinh tế, Hạ tầng và Đô thị",
        "Sở Y tế",
        "Sở Tài chính",
        "Sở Xây dựng",
    ]
    assert split_units("các xã, các phòng, ban, cơ quan, đơn vị") == [
        "các xã, các phòng, ban, cơ quan, đơn vị"
    ]
    assert tasks_of("UBND huyện Hồng Ngự cắm biển báo vành đai sạt lở.")[0][0] == (
        "UBND huyện Hồng Ngự"
    )


def test_an_addressee_that_directs_others_is_the_lead():
    text = (
        "Kính gửi: Đồng chí Chủ tịch Ủy ban nhân dân tỉnh Phú Yên\n"
        "Chủ tịch Ủy ban nhân dân tỉnh Phú Yên chỉ đạo các sở, ngành chức năng kiểm tra nội dung "
        "phản ánh; đồng thời chỉ đạo Công an tỉnh xử lý nghiêm vi phạm, báo cáo Thủ tướng Chính "
        "phủ trước ngày 01 tháng 11 năm 2018."
    )
    (task,) = read_notice(text).tasks
    assert task.lead == "Ủy ban nhân dân tỉnh Phú Yên"
    assert task.task.startswith("Chỉ đạo các sở, ngành chức năng kiểm tra")
    assert task.deadline == date(2018, 11, 1)


def test_field_confidence_has_the_four_fields_and_marks_doubt():
    sure = read_notice(
        "Giao Sở Y tế chủ trì, phối hợp với Sở Tài chính kiểm tra giá thuốc, báo cáo trước ngày "
        "20/5/2024.",
        issued_on=date(2024, 5, 2),
    ).tasks[0]
    assert set(sure.field_confidence) == {"lead", "coordinating", "task", "deadline"}
    assert all(0 <= v <= 1 for v in sure.field_confidence.values())
    assert min(sure.field_confidence.values()) >= 0.85
    assert sure.to_dict()["field_confidence"] == sure.field_confidence
    # No year and no issue date: the deadline phrase has no date.
    undated = read_notice("Giao Sở Y tế kiểm tra giá thuốc trước ngày 20/5.")
    assert undated.tasks[0].field_confidence["deadline"] < 0.5
    assert UNDATED_DEADLINE_WARNING in undated.warnings
    assert NO_DATE_WARNING in undated.warnings
    # A lead that no verb ended: its name was cut after its capitalised words.
    cut = read_notice(
        "Giao Ban Quản lý Khu Kinh tế cửa khẩu quốc tế biên giới phía bắc của tỉnh Lạng Sơn "
        "cũ mới lớn nhỏ gần xa rà soát hồ sơ."
    )
    assert cut.tasks[0].field_confidence["lead"] < 0.6
    assert UNKNOWN_LEAD_WARNING in cut.warnings
    early = read_notice(
        "Giao Sở Y tế kiểm tra giá thuốc trước ngày 20/5/2023.", issued_on=date(2024, 5, 2)
    )
    assert early.tasks[0].field_confidence["deadline"] < 0.5
    assert early.warnings == [EARLY_DEADLINE_WARNING]


def test_warnings_for_a_long_text_with_few_directives():
    filler = "Hội nghị diễn ra trong không khí dân chủ, nhiều ý kiến tâm huyết được nêu ra. " * 150
    reading = read_notice(filler + "\nGiao Sở Y tế kiểm tra an toàn thực phẩm.")
    assert FEW_TASKS_WARNING in reading.warnings
    assert UNKNOWN_LEAD_WARNING not in reading.warnings


def test_all_warnings_are_catalogue_strings():
    # The review screen shows warnings through the catalogue: no text of the notice inside.
    reading = read_notice(
        "Giao Sở Y tế kiểm tra giá thuốc trước ngày 20/5/2023; hoàn thành trước ngày 31/2/2024.",
        issued_on=date(2024, 5, 2),
    )
    for warning in reading.warnings:
        assert "Sở Y tế" not in warning and "giá thuốc" not in warning


@pytest.mark.skipif(not CORPUS.is_dir(), reason="the shared corpus is not here")
def test_corpus_figures():
    lines = list(evaluate_folder(CORPUS, only="01-199,seed-van-ho-2017"))
    old = json.loads(lines[-1])
    # The texts the first rules were written from must not regress.
    assert old["task_f1"] == 1.0 and old["lead_accuracy"] == 1.0
    assert old["deadline_accuracy"] == 1.0
    # The new texts as read when this was written (0.891 / 0.967): a guard against regression,
    # not a held-out measure any more (see docs/notice-reader.md).
    new = json.loads(list(evaluate_folder(CORPUS, only="201-220"))[-1])
    assert new["task_f1"] >= 0.87 and new["lead_accuracy"] >= 0.95


def test_a_reported_directive_of_the_chair_is_a_directive():
    # Found on the held-out half after its measurement: news reports what the chair "đã yêu
    # cầu"; a department that "đã chỉ đạo" is still a status.
    assert tasks_of(
        "Văn phòng UBND tỉnh cho biết Chủ tịch UBND tỉnh đã yêu cầu Sở Nội vụ rà soát biên chế."
    )[0][:1] == ("Sở Nội vụ",)
    assert tasks_of("Sở Y tế đã chỉ đạo các bệnh viện phun khử khuẩn.") == []
    # "đồng ý" is a verb: it ends a unit's name.
    assert all(
        t[0] != "UBND tỉnh đồng ý" for t in tasks_of("UBND tỉnh đồng ý chủ trương thí điểm.")
    )
