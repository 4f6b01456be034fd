"""Issue 20, seventh round: news scaffolding and item grammar the fresh sets still missed, each
written here in a text of its own (see "Seventh round" in docs/notice-reader.md)."""

from __future__ import annotations

import json
from pathlib import Path

from tracker.notices.evaluate import evaluate_folder
from tracker.notices.extract import read_notice


def _rows(text: str) -> list[tuple[str, str]]:
    return [(t.lead, t.task) for t in read_notice(text).tasks]


VISIT = (
    "Cập nhật: 09:05, 12/04/2023\n\n"
    "Phó Chủ tịch UBND tỉnh Lạng Sơn khảo sát tuyến đê sông Kỳ Cùng\n\n"
    "Ngày 11-4, Phó Chủ tịch UBND tỉnh đã đi kiểm tra tuyến đê sông Kỳ Cùng.\n\n"
    "Kết luận, Phó Chủ tịch UBND tỉnh nêu các việc sau:\n\n"
    "Thứ nhất, Sở Xây dựng rà soát các điểm sạt lở, lập danh mục ưu tiên xử lý.\n\n"
    "Thứ hai, đánh giá lại chất lượng các cống qua đê. Giao Chi cục Thủy lợi thực hiện, báo "
    "cáo kết quả về Sở Nông nghiệp.\n\n"
    "Phó Chủ tịch UBND tỉnh yêu cầu các cấp, các ngành không được chủ quan, coi đây là nhiệm vụ thường xuyên.\n"
)


def test_a_dateline_above_the_headline_leaves_the_headline_no_task():
    rows = _rows(VISIT)
    assert all("khảo sát tuyến đê" not in task for _lead, task in rows)


def test_giao_x_thuc_hien_gives_the_unitless_work_before_it_to_x():
    rows = _rows(VISIT)
    assert (
        "Chi cục Thủy lợi",
        "Đánh giá lại chất lượng các cống qua đê, báo cáo kết quả về Sở Nông nghiệp",
    ) in rows
    assert not any(task.lower().startswith("thực hiện") for _lead, task in rows)


def test_a_call_not_to_be_complacent_is_no_task_and_a_negation_ends_a_group():
    rows = _rows(VISIT)
    assert [lead for lead, _task in rows] == ["Sở Xây dựng", "Chi cục Thủy lợi"]


TITLED = (
    "ỦY BAN NHÂN DÂN\nTỈNH HÀ GIANG\nSố: 77/TB-UBND\nHà Giang, ngày 10 tháng 5 năm 2024\n\n"
    "THÔNG BÁO\nKết luận của đồng chí Nguyễn Văn A, Phó Chủ tịch UBND tỉnh tại buổi làm việc "
    "về tiến độ Dự án hồ chứa nước Phó Bảng\n\n"
    "1. Sở Nông nghiệp và Phát triển nông thôn nghiệm thu khối lượng hoàn thành năm 2023 của dự "
    "án.\n"
    "2. Ban Quản lý dự án tỉnh hoàn thành năm 2024 hạng mục đập chính.\n"
)


def test_a_notices_title_at_a_meeting_is_no_task():
    leads = [lead for lead, _task in _rows(TITLED)]
    assert leads == ["Sở Nông nghiệp và Phát triển nông thôn", "Ban Quản lý dự án tỉnh"]


def test_hoan_thanh_after_a_noun_of_work_done_is_no_deadline():
    tasks = read_notice(TITLED).tasks
    assert tasks[0].deadline is None and tasks[0].deadline_text is None
    assert tasks[1].deadline is not None  # "hoàn thành năm 2024 <work>" is still by when


def test_a_post_office_is_a_unit_and_a_lower_case_town_before_its_name_coordinates():
    text = (
        "Chủ tịch UBND tỉnh yêu cầu:\n\n"
        "1. Đề nghị Bưu điện tỉnh bố trí điểm nhận hồ sơ cấp giấy khai sinh.\n"
        "2. Sở Giao thông vận tải phối hợp với thị trấn Phong Điền lập phương án phân luồng.\n"
    )
    tasks = read_notice(text).tasks
    assert [(t.lead, t.coordinating) for t in tasks] == [
        ("Bưu điện tỉnh", []),
        ("Sở Giao thông vận tải", ["thị trấn Phong Điền"]),
    ]
    assert tasks[1].task.lower().startswith("lập phương án")


def test_units_owned_by_cua_are_roles_not_subjects():
    text = (
        "I. MỤC ĐÍCH, YÊU CẦU\n"
        "1. Phân công rõ trách nhiệm của đơn vị chủ trì, đơn vị phối hợp và thời hạn.\n\n"
        "II. NHIỆM VỤ\n"
        "1. Phòng Y tế chủ trì, phối hợp với Trạm Y tế các xã rà soát danh sách trẻ em.\n"
    )
    tasks = read_notice(text).tasks
    assert [(t.lead, t.coordinating) for t in tasks] == [("Phòng Y tế", ["Trạm Y tế các xã"])]


def test_short_work_after_a_fronted_topic_takes_the_topic():
    text = (
        "Chủ tịch UBND tỉnh kết luận:\n\n"
        "Về đề xuất của xã Tân Phú mở rộng chợ, giao Sở Công Thương xem xét, tham mưu UBND tỉnh "
        "trong 10 ngày. Đối với các hộ kinh doanh lấn chiếm lòng đường, giao Công an xã xử lý "
        "dứt điểm.\n"
    )
    tasks = read_notice(text).tasks
    assert [t.task for t in tasks] == [
        "Xem xét, tham mưu UBND tỉnh về đề xuất của xã Tân Phú mở rộng chợ",
        "Xử lý dứt điểm các hộ kinh doanh lấn chiếm lòng đường",
    ]


def test_a_joint_venture_of_contractors_is_a_lead_after_luu_y():
    text = (
        "Tại buổi kiểm tra, Giám đốc Sở Giao thông vận tải lưu ý liên danh nhà thầu thi công "
        "bố trí người điều tiết giao thông tại nút giao Quốc lộ 1.\n"
    )
    tasks = read_notice(text).tasks
    assert [t.lead for t in tasks] == ["liên danh nhà thầu thi công"]
    assert tasks[0].task.startswith("Bố trí người điều tiết")


def test_a_group_member_ban_quan_ly_keeps_its_name():
    text = (
        "Chủ tịch UBND tỉnh yêu cầu:\n\n"
        "Các hạt kiểm lâm, ban quản lý rừng đặc dụng tổ chức tuần tra các khu rừng giáp ranh.\n"
    )
    tasks = read_notice(text).tasks
    assert [t.lead for t in tasks] == ["Các hạt kiểm lâm, ban quản lý rừng đặc dụng"]
    assert tasks[0].task.startswith("Tổ chức tuần tra")


def test_an_items_unit_that_checks_and_asks_keeps_the_whole_work():
    text = (
        "Chủ tịch UBND phường giao nhiệm vụ như sau:\n\n"
        "1. Phòng Kinh tế\n"
        "- Chủ trì lập lại trật tự vỉa hè các tuyến đường trung tâm.\n"
        "- Kiểm tra, yêu cầu chủ đầu tư các công trình đang thi công ven chợ che chắn, thu dọn "
        "vật liệu trước ngày 20/01/2026.\n\n"
        "2. Công an phường\n"
        "- Tăng cường tuần tra ban đêm.\n"
    )
    tasks = read_notice(text).tasks
    assert [t.lead for t in tasks] == ["Phòng Kinh tế", "Phòng Kinh tế", "Công an phường"]
    assert tasks[1].task.startswith("Kiểm tra, yêu cầu chủ đầu tư các công trình đang thi công")
    assert tasks[1].deadline is not None


def test_a_long_note_in_brackets_after_the_units_does_not_hide_them():
    text = (
        "Chủ tịch UBND tỉnh yêu cầu:\n\n"
        "1. Sở Nội vụ rà soát hồ sơ công chức.\n\n"
        "Riêng Sở Xây dựng và UBND huyện Yên Thế (là các đơn vị có số hồ sơ quá hạn nhiều nhất "
        "toàn tỉnh trong sáu tháng đầu năm 2023) tổ chức kiểm điểm trách nhiệm, báo cáo trước "
        "ngày 20/7/2023.\n"
    )
    tasks = read_notice(text).tasks
    assert [(t.lead, t.deadline is not None) for t in tasks] == [
        ("Sở Nội vụ", False),
        ("Sở Xây dựng", True),
        ("UBND huyện Yên Thế", True),
    ]


def test_kêu_gọi_opens_an_item_and_places_that_have_a_project_are_a_group():
    text = (
        "Chủ tịch UBND tỉnh yêu cầu:\n\n"
        "1. UBND các huyện ven biển:\n"
        "- Kêu gọi ngư dân đưa lồng bè vào nơi an toàn.\n"
        "- Kiểm tra các khu neo đậu.\n\n"
        "2. Sở Xây dựng rà soát hồ sơ; UBND các xã có dự án đi qua bàn giao mặt bằng trong "
        "tháng 11.\n"
    )
    tasks = read_notice(text).tasks
    assert [t.lead for t in tasks] == [
        "UBND các huyện ven biển",
        "UBND các huyện ven biển",
        "Sở Xây dựng",
        "UBND các xã có dự án đi qua",
    ]


def test_the_seventh_held_out_set_does_not_fall():
    # n01-n14, written while the seventh round ran and never developed on: 0.900 task F1 (lead
    # 0.958, deadline 0.931) on the sixth round's reader, 0.906 after the seventh
    # (docs/notice-reader.md). A floor against regression, not a measure once developed on.
    totals = json.loads(list(evaluate_folder(Path(__file__).parent / "heldout7"))[-1])
    assert totals["notices_unread"] == 0
    assert totals["task_f1"] >= 0.90 and totals["lead_accuracy"] >= 0.95
    assert totals["deadline_accuracy"] >= 0.93
