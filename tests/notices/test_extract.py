"""The notice reader on the project's own notices and on one pattern at a time."""

from __future__ import annotations

import json
import unicodedata
from datetime import date
from pathlib import Path

import pytest

from tracker.core.workdays import WorkingCalendar
from tracker.notices.evaluate import score_notice
from tracker.notices.extract import NO_TASKS_MESSAGE, NoticeReadError, read_notice


def only(text: str, **kwargs: object):
    tasks = read_notice(text, **kwargs).tasks
    assert len(tasks) == 1, [t.to_dict() for t in tasks]
    return tasks[0]


OWN_NOTICES = sorted(p.stem for p in (Path(__file__).parent / "data").glob("tb-*.txt"))


@pytest.mark.parametrize("stem", OWN_NOTICES)
def test_own_notices_read_as_expected(data_dir, stem):
    expected = json.loads((data_dir / f"{stem}.expected.json").read_text(encoding="utf-8"))
    reading = read_notice((data_dir / f"{stem}.txt").read_text(encoding="utf-8"))
    score = score_notice(reading.to_dict()["tasks"], expected).summary()
    assert score["task_f1"] == 1.0
    assert score["lead_accuracy"] == 1.0
    assert score["deadline_accuracy"] == 1.0


def test_header_number_date_and_signer(data_dir):
    notice = read_notice((data_dir / "tb-01.txt").read_text(encoding="utf-8")).notice
    assert notice.number == "112/TB-UBND"
    assert notice.issued_on == date(2024, 3, 12)
    assert notice.signer == "Lê Thị Hạnh"


def test_lead_with_chu_tri_and_coordinating_units_split():
    task = only(
        "Giao UBND huyện Minh Sơn chủ trì, phối hợp với Sở Tài nguyên và Môi trường, Sở Giao thông "
        "vận tải và các đơn vị liên quan kiểm tra hiện trạng tuyến đê; hoàn thành trước ngày "
        "20/5/2024./."
    )
    assert task.lead == "UBND huyện Minh Sơn"
    assert task.coordinating == [
        "Sở Tài nguyên và Môi trường",
        "Sở Giao thông vận tải",
        "các đơn vị liên quan",
    ]
    assert task.task == "Kiểm tra hiện trạng tuyến đê"
    assert (task.deadline_text, task.deadline) == ("trước ngày 20/5/2024", date(2024, 5, 20))


def test_heading_lead_applies_to_each_item():
    text = (
        "Minh Sơn, ngày 02 tháng 4 năm 2024\n"
        "2. Giao Sở Y tế:\n"
        "a) Chủ trì, phối hợp với Sở Tài chính lập dự toán mua vắc xin; hoàn thành trong quý "
        "II/2024.\n"
        "b) Hướng dẫn các bệnh viện tuyến huyện rà soát trang thiết bị, báo cáo trước ngày 15/5.\n"
        "3. Về công tác giáo dục:\n"
        "- Tiếp tục theo dõi sĩ số học sinh.\n"
    )
    tasks = read_notice(text).tasks
    assert [t.lead for t in tasks] == ["Sở Y tế", "Sở Y tế"]
    assert tasks[0].coordinating == ["Sở Tài chính"]
    assert tasks[0].deadline == date(2024, 6, 30)
    assert tasks[1].deadline == date(2024, 5, 15)


def test_passive_do_x_chu_tri():
    task = only(
        "Việc lập quy hoạch chung xã Tân Lập do Phòng Kinh tế và Hạ tầng chủ trì, phối hợp với "
        "UBND xã Tân Lập thực hiện, hoàn thành trong tháng 9/2024."
    )
    assert task.lead == "Phòng Kinh tế và Hạ tầng"
    assert task.coordinating == ["UBND xã Tân Lập"]
    assert task.task.startswith("Lập quy hoạch chung")  # without "Việc"
    assert task.deadline == date(2024, 9, 30)


def test_deadline_before_the_task():
    task = only("Trước ngày 30/3/2024, Phòng Tư pháp thẩm định dự thảo quy chế.")
    assert task.lead == "Phòng Tư pháp"
    assert task.deadline == date(2024, 3, 30)
    assert task.task == "Thẩm định dự thảo quy chế"


def test_date_without_year_takes_the_notice_year_or_none():
    text = "Đề nghị Phòng Nội vụ rà soát biên chế, báo cáo trước ngày 15/4."
    assert only(text, issued_on=date(2024, 4, 2)).deadline == date(2024, 4, 15)
    assert only(text).deadline is None


def test_without_the_notice_date_the_sentence_gives_the_year():
    # Formerly None: a notice pasted without its date still names the year in the sentence.
    text = "Đề nghị Phòng Nội vụ rà soát biên chế năm 2024, báo cáo trước ngày 15/4."
    assert only(text).deadline == date(2024, 4, 15)
    assert only(text, issued_on=date(2025, 4, 2)).deadline == date(2025, 4, 15)
    assert only(
        "Yêu cầu Sở Y tế rà soát hồ sơ trước ngày 28-10.", issued_on=date(2021, 9, 1)
    ).deadline == date(2021, 10, 28)
    assert only("Yêu cầu Sở Y tế rà soát kế hoạch năm 2021 trước ngày 15.11.").deadline == date(
        2021, 11, 15
    )


def test_working_days_skip_tet():
    text = "Giao Sở Công Thương kiểm tra giá cả thị trường, báo cáo trong 10 ngày làm việc."
    task = only(text, issued_on=date(2024, 2, 5))
    # Tết Giáp Thìn: 8-14/02/2024 off, so the tenth working day is 26/02.
    assert task.deadline == date(2024, 2, 26)
    swapped = only(
        text,
        issued_on=date(2024, 2, 5),
        calendar=WorkingCalendar(extra_working_days=[date(2024, 2, 17)]),
    )
    assert swapped.deadline == date(2024, 2, 23)


def test_several_leads_without_chu_tri_give_one_task_each():
    tasks = read_notice(
        "Giao Phòng Y tế, Phòng Giáo dục và Đào tạo, UBND các xã tăng cường phòng, chống dịch "
        "sốt xuất huyết; thực hiện thường xuyên."
    ).tasks
    assert [t.lead for t in tasks] == ["Phòng Y tế", "Phòng Giáo dục và Đào tạo", "UBND các xã"]
    assert {t.task for t in tasks} == {"Tăng cường phòng, chống dịch sốt xuất huyết"}
    assert all(t.recurring and t.deadline is None for t in tasks)
    assert tasks[2].lead_is_group


def test_group_leads_stay_whole_and_titles_are_dropped():
    tasks = read_notice(
        "Chủ tịch UBND huyện yêu cầu thủ trưởng các phòng, ban, cơ quan, đơn vị và Chủ tịch UBND "
        "các xã, thị trấn tập trung rà soát thủ tục hành chính."
    ).tasks
    assert [t.lead for t in tasks] == ["các phòng, ban, cơ quan, đơn vị", "UBND các xã, thị trấn"]
    assert only("Giám đốc Sở Y tế có trách nhiệm kiểm tra an toàn thực phẩm.").lead == "Sở Y tế"


def test_shared_head_noun_is_distributed():
    task = only(
        "Giao Sở Giao thông vận tải chủ trì, phối hợp với các sở Xây dựng, Tài chính và Kế hoạch "
        "và Đầu tư rà soát dự án."
    )
    assert task.coordinating == ["Sở Xây dựng", "Sở Tài chính", "Sở Kế hoạch và Đầu tư"]


def test_object_of_a_verb_is_not_coordinating():
    task = only(
        "Giao Sở Nội vụ hướng dẫn UBND các huyện sắp xếp thôn, tổ dân phố, báo cáo UBND "
        "tỉnh trước ngày 10/6/2024."
    )
    assert task.coordinating == []
    assert task.lead == "Sở Nội vụ"


def test_status_sentences_and_closings_are_not_tasks():
    reading = read_notice(
        "Ngày 04/4/2024, UBND huyện tổ chức hội nghị sơ kết quý I. Phòng Nội vụ đã hoàn thành "
        "việc rà soát hồ sơ. Văn phòng HĐND và UBND huyện thông báo để các cơ quan, đơn vị biết, "
        "thực hiện./."
    )
    assert reading.tasks == []
    assert NO_TASKS_MESSAGE in reading.warnings


def test_source_offsets_point_into_the_normalised_text():
    reading = read_notice("Mở đầu.\nĐề nghị Công an huyện bảo đảm an ninh dịp lễ hội.")
    task = reading.tasks[0]
    assert reading.text[task.source_start : task.source_end] == task.source
    assert task.source.startswith("Đề nghị Công an huyện")
    assert 0 < task.confidence <= 1


def test_nfd_and_nfc_read_the_same():
    text = "Giao Ủy ban nhân dân xã Tân Lập khẩn trương hoàn thành hồ sơ trước ngày 20/5/2024."
    nfc = read_notice(text).to_dict()
    nfd = read_notice(unicodedata.normalize("NFD", text)).to_dict()
    assert nfc == nfd
    assert nfc["tasks"][0]["lead"] == "Ủy ban nhân dân xã Tân Lập"


def test_words_glued_by_a_pdf_layer_are_split():
    task = only("2. Ủy ban nhân dântỉnh Lào Cai kiểmtra, xác định mốc giới khu vực mỏ.")
    assert task.lead == "Ủy ban nhân dân tỉnh Lào Cai"
    assert task.task.startswith("Kiểm tra")


def test_follow_up_sentence_gives_the_deadline():
    tasks = read_notice(
        "Giao các phòng chuyên môn báo cáo kết quả cải cách hành chính quý I. Báo cáo gửi về "
        "Phòng Nội vụ trước ngày 05/4/2024."
    ).tasks
    assert tasks[0].deadline == date(2024, 4, 5)


def test_empty_text_is_refused():
    with pytest.raises(NoticeReadError):
        read_notice("  \n ")


def test_to_dict_has_exactly_the_documented_keys():
    data = read_notice("Đề nghị Công an huyện bảo đảm an ninh trật tự dịp Tết.").to_dict()
    assert set(data) == {"notice", "tasks", "warnings"}
    assert set(data["notice"]) == {"number", "issued_on", "signer"}
    assert set(data["tasks"][0]) == {
        "lead",
        "coordinating",
        "task",
        "deadline_text",
        "deadline",
        "recurring",
        "source",
        "confidence",
        "field_confidence",
    }
    assert list(data["tasks"][0]["field_confidence"]) == [
        "lead",
        "coordinating",
        "task",
        "deadline",
    ]


def test_a_text_longer_than_a_notice_is_refused_with_a_message():
    # Formerly a 5 MB paste was read (in seconds); a notice is capped at 200,000 characters.
    text = "Giao Phòng Nội vụ rà soát hồ sơ cán bộ xã; báo cáo trước ngày 20/5/2024.\n" * 70000
    with pytest.raises(NoticeReadError) as refused:
        read_notice(text[:5_000_000], issued_on=date(2024, 5, 1))
    assert "quá dài" in refused.value.message and "200.000" in refused.value.message


def test_cung_after_the_lead_names_a_coordinating_unit():
    task = only("Ban Chỉ huy Quân sự huyện cùng Công an huyện chuẩn bị lực lượng cứu hộ, cứu nạn.")
    assert (task.lead, task.coordinating) == ("Ban Chỉ huy Quân sự huyện", ["Công an huyện"])


def test_phoi_hop_after_the_first_verb_is_coordination():
    task = only(
        "Phòng TN&MT rà soát các điểm tập kết rác, phối hợp với Công ty Môi trường đô thị thu "
        "gom, xử lý dứt điểm."
    )
    assert task.coordinating == ["Công ty Môi trường đô thị"]
    assert task.task == "Rà soát các điểm tập kết rác, thu gom, xử lý dứt điểm"
    tasks = read_notice(
        "Phòng Quản lý đô thị chủ trì tham mưu kế hoạch ra quân; trong quá trình thực hiện phối "
        "hợp với Công an thành phố và UBND các phường."
    ).tasks
    assert [(t.lead, t.coordinating) for t in tasks] == [
        ("Phòng Quản lý đô thị", ["Công an thành phố", "UBND các phường"])
    ]


def test_lower_case_names_with_verbs_and_place_words_stay_whole():
    text = (
        "Ban Quản lý dự án đầu tư xây dựng và phát triển quỹ đất huyện khẩn trương lập hồ sơ "
        "quyết toán. Yêu cầu các cơ sở khám bệnh, chữa bệnh công lập báo cáo tình hình thuốc. "
        "Giao UBND TP. Thanh Hóa thu dọn cây xanh gãy đổ."
    )
    assert [t.lead for t in read_notice(text).tasks] == [
        "Ban Quản lý dự án đầu tư xây dựng và phát triển quỹ đất huyện",
        "các cơ sở khám bệnh, chữa bệnh công lập",
        "UBND TP. Thanh Hóa",
    ]


def test_heading_lead_reaches_items_with_a_topic_or_a_directing_verb():
    text = (
        "Yên Thế, ngày 15 tháng 7 năm 2024\n"
        "1. Phòng Giáo dục và Đào tạo:\n"
        "- Về công tác tuyển sinh: hướng dẫn các trường tuyển sinh lớp 1, lớp 6 đúng quy định.\n"
        "- Chỉ đạo các trường tự đánh giá, đăng ký kiểm định theo kế hoạch.\n"
        "- Tổ chức các đoàn kiểm tra cơ sở vật chất trước ngày 20/8.\n"
    )
    tasks = read_notice(text).tasks
    assert [t.lead for t in tasks] == ["Phòng Giáo dục và Đào tạo"] * 3
    assert tasks[2].deadline == date(2024, 8, 20)


def test_shared_head_after_a_colon_is_distributed():
    tasks = read_notice("Giao các Sở: Xây dựng, Giao thông vận tải kiểm tra các cầu hư hỏng.").tasks
    assert [t.lead for t in tasks] == ["Sở Xây dựng", "Sở Giao thông vận tải"]


def test_role_before_chu_tri_and_short_opening_phrase():
    tasks = read_notice(
        "Sở Nông nghiệp và PTNT là cơ quan thường trực Chương trình, chủ trì, phối hợp với các "
        "sở, ngành liên quan hướng dẫn các địa phương hoàn thiện hồ sơ. Các cơ quan, đơn vị tổ "
        "chức tổng vệ sinh trụ sở; sau Tết, thủ trưởng các cơ quan, đơn vị chấn chỉnh kỷ luật."
    ).tasks
    assert [(t.lead, t.coordinating) for t in tasks] == [
        ("Sở Nông nghiệp và PTNT", ["các sở, ngành liên quan"]),
        ("Các cơ quan, đơn vị", []),
        ("các cơ quan, đơn vị", []),
    ]


def test_status_directing_generic_closings_and_accountability_are_not_tasks():
    text = (
        "Sở Y tế đã chỉ đạo các đơn vị phun khử khuẩn tại các vùng ngập lụt. "
        "UBND tỉnh yêu cầu các cơ quan, đơn vị liên quan triển khai thực hiện./. "
        "UBND các huyện rà soát các tiêu chí chưa đạt; chịu trách nhiệm trước Chủ tịch UBND "
        "tỉnh nếu để chậm tiến độ."
    )
    tasks = read_notice(text).tasks
    assert [t.task for t in tasks] == ["Rà soát các tiêu chí chưa đạt"]


def test_closing_deadline_clause_is_shared_by_the_sentence():
    tasks = read_notice(
        "Châu Thành, ngày 23 tháng 12 năm 2024\n"
        "Phòng Văn hóa và Thông tin chủ trì xây dựng kế hoạch tổ chức; Phòng Tài chính - Kế "
        "hoạch thẩm định dự toán kinh phí; hoàn thành trong quý I/2025."
    ).tasks
    assert [t.deadline for t in tasks] == [date(2025, 3, 31)] * 2


def test_deadline_forms_after_the_rules_were_generalised():
    issued = date(2024, 6, 5)
    cases = {
        "Sở Tài chính thẩm định giá trong thời hạn 15 ngày kể từ ngày nhận đủ hồ sơ.": None,
        "Sở Tài chính thẩm định giá trong 15 ngày kể từ ngày ký Thông báo này.": date(2024, 6, 20),
        "Sở Xây dựng bàn giao phòng học trước ngày khai giảng 05/9/2024.": date(2024, 9, 5),
        "UBND các huyện phấn đấu hoàn thành mục tiêu 6 tháng đầu năm 2024.": date(2024, 6, 30),
    }
    for text, expected in cases.items():
        assert only(text, issued_on=issued).deadline == expected, text
