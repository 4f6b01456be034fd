"""Structures above the word that unseen notices use (issue 20, second round): each form is
written here in a sentence of its own, not copied from the corpus."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from tracker.notices.evaluate import score_notice
from tracker.notices.extract import read_notice


def leads_and_work(text: str, **kwargs: object) -> list[tuple[str, str, str | None]]:
    reading = read_notice(text, **kwargs)
    return [(t.lead, t.task, t.deadline.isoformat() if t.deadline else None) for t in reading.tasks]


def test_committees_of_named_places_are_one_lead_each():
    tasks = leads_and_work(
        "Yêu cầu Chủ tịch UBND các xã Hòa Bình, Tân Lập và TT.Phú Mỹ rà soát hộ nghèo."
    )
    assert [lead for lead, _, _ in tasks] == [
        "UBND xã Hòa Bình",
        "UBND xã Tân Lập",
        "UBND TT.Phú Mỹ",
    ]


def test_a_group_of_kinds_of_places_stays_one_lead():
    tasks = leads_and_work("UBND các huyện, thị xã, thành phố rà soát hộ nghèo.")
    assert [lead for lead, _, _ in tasks] == ["UBND các huyện, thị xã, thành phố"]


def test_several_committees_that_direct_are_leads_not_the_issuer():
    tasks = leads_and_work(
        "Chủ tịch UBND các huyện Mỹ Lộc và Ý Yên chỉ đạo các xã dọn vệ sinh kênh mương."
    )
    assert [lead for lead, _, _ in tasks] == ["UBND huyện Mỹ Lộc", "UBND huyện Ý Yên"]
    assert all(work.startswith("Chỉ đạo các xã") for _, work, _ in tasks)


def test_a_subject_pointing_back_continues_the_directive_before():
    tasks = leads_and_work(
        "Giao UBND các huyện Mỹ Lộc và Ý Yên kiểm tra đê bao. "
        "Các địa phương này báo cáo UBND tỉnh kết quả trước ngày 20/6/2024.",
        issued_on=date(2024, 6, 1),
    )
    assert tasks == [
        ("UBND huyện Mỹ Lộc", "Kiểm tra đê bao; báo cáo UBND tỉnh kết quả", "2024-06-20"),
        ("UBND huyện Ý Yên", "Kiểm tra đê bao; báo cáo UBND tỉnh kết quả", "2024-06-20"),
    ]


def test_a_generic_group_then_a_colon_names_the_units_listed():
    tasks = leads_and_work(
        "Các cơ quan liên quan: Công an huyện, Phòng Tư pháp, Hiệp hội Du lịch huyện "
        "trong phạm vi nhiệm vụ của mình tăng cường kiểm tra các cơ sở lưu trú."
    )
    assert [lead for lead, _, _ in tasks] == [
        "Công an huyện",
        "Phòng Tư pháp",
        "Hiệp hội Du lịch huyện",
    ]


def test_project_boards_named_after_their_works_stay_whole():
    tasks = leads_and_work(
        "Các chủ đầu tư: Ban Quản lý dự án đầu tư xây dựng các công trình giao thông huyện, "
        "Ban Quản lý dự án đầu tư xây dựng các công trình dân dụng và công nghiệp huyện "
        "đẩy nhanh tiến độ thi công."
    )
    assert [lead for lead, _, _ in tasks] == [
        "Ban Quản lý dự án đầu tư xây dựng các công trình giao thông huyện",
        "Ban Quản lý dự án đầu tư xây dựng các công trình dân dụng và công nghiệp huyện",
    ]


def test_a_news_lede_gives_way_to_the_directive_told_in_full():
    tasks = leads_and_work(
        "UBND tỉnh vừa có văn bản yêu cầu các địa phương kiểm tra an toàn hồ chứa nước "
        "trước mùa mưa lũ.\n"
        "Theo đó, Chủ tịch UBND tỉnh yêu cầu UBND các huyện, thị xã kiểm tra an toàn các hồ "
        "chứa nước, xây dựng phương án bảo vệ hạ du."
    )
    assert [lead for lead, _, _ in tasks] == ["UBND các huyện, thị xã"]


def test_a_news_lede_alone_is_the_task():
    tasks = leads_and_work(
        "UBND tỉnh vừa có văn bản yêu cầu các địa phương kiểm tra an toàn hồ chứa nước "
        "trước mùa mưa lũ.\nĐợt mưa vừa qua đã làm đầy 12 hồ chứa."
    )
    assert [lead for lead, _, _ in tasks] == ["các địa phương"]


def test_a_verb_after_a_kind_of_unit_is_not_a_name():
    # ("kiểm tra" names "Ban Kiểm tra" after a head, but not after "các địa phương")
    tasks = leads_and_work("UBND tỉnh yêu cầu các địa phương kiểm tra đê điều.")
    assert tasks == [("các địa phương", "Kiểm tra đê điều", None)]


def test_work_that_announces_the_items_below_is_not_a_task():
    tasks = leads_and_work(
        "UBND huyện yêu cầu các cơ quan, đơn vị triển khai các nhiệm vụ trọng tâm sau đây:\n"
        "Yêu cầu Phòng Y tế kiểm tra các cơ sở kinh doanh thực phẩm."
    )
    assert [lead for lead, _, _ in tasks] == ["Phòng Y tế"]


def test_a_closing_that_says_to_do_the_assigned_work_well_is_dropped():
    tasks = leads_and_work(
        "1. Phòng Y tế kiểm tra các cơ sở kinh doanh thực phẩm.\n"
        "2. Phòng Nội vụ, Phòng Tư pháp theo chức năng, nhiệm vụ tổ chức thực hiện tốt các "
        "nhiệm vụ được giao."
    )
    assert [lead for lead, _, _ in tasks] == ["Phòng Y tế"]


def test_a_sentence_that_only_says_by_when_dates_the_directive_before():
    tasks = leads_and_work(
        "Phòng Tài chính - Kế hoạch thẩm định dự toán, tham mưu bố trí kinh phí. "
        "Hoàn thành trước ngày 15/8.",
        issued_on=date(2024, 8, 1),
    )
    assert tasks == [
        ("Phòng Tài chính - Kế hoạch", "Thẩm định dự toán, tham mưu bố trí kinh phí", "2024-08-15")
    ]


def test_coordination_in_a_sentence_that_goes_on_is_read():
    reading = read_notice(
        "Giao Phòng Văn hóa và Thông tin xây dựng kịch bản lễ hội. Đồng thời, phối hợp với "
        "Công an huyện bảo đảm an ninh khu vực lễ hội."
    )
    assert [(t.lead, t.coordinating) for t in reading.tasks] == [
        ("Phòng Văn hóa và Thông tin", ["Công an huyện"])
    ]


def test_the_place_and_date_line_after_a_long_subject_line_is_the_issue_date():
    reading = read_notice(
        "UBND HUYỆN LẠC DƯƠNG\nSố: 45/UBND-VP\n"
        "V/v tăng cường quản lý, bảo vệ rừng trong mùa khô trên địa bàn huyện Lạc Dương\n"
        "Lạc Dương, ngày 03 tháng 3 năm 2025\nKính gửi: Hạt Kiểm lâm huyện.\n"
        "Giao Hạt Kiểm lâm huyện tổ chức tuần tra rừng, báo cáo trong 10 ngày kể từ ngày "
        "nhận văn bản này."
    )
    assert reading.notice.issued_on == date(2025, 3, 3)
    assert reading.tasks[0].deadline == date(2025, 3, 13)


def test_bên_cạnh_đó_goes_on_with_the_same_directive():
    tasks = leads_and_work(
        "Yêu cầu UBND các xã, thị trấn kiểm tra các điểm tập kết cát sỏi. Bên cạnh đó, lập "
        "danh sách các phương tiện khai thác trái phép."
    )
    assert len(tasks) == 1
    assert tasks[0][1].endswith("Bên cạnh đó, lập danh sách các phương tiện khai thác trái phép")


def test_coordination_of_a_directed_unit_is_not_the_leads():
    reading = read_notice(
        "Yêu cầu UBND các huyện chỉ đạo phòng chuyên môn chủ trì, phối hợp với Công an huyện "
        "kiểm tra tải trọng xe."
    )
    assert [(t.lead, t.coordinating) for t in reading.tasks] == [("UBND các huyện", [])]


def test_a_span_of_years_is_due_at_the_end_of_its_last_year():
    from tracker.notices.deadlines import find_deadlines

    (found,) = find_deadlines("triển khai đề án, thực hiện trong 2 năm 2025-2026", None)
    assert (found.text, found.deadline) == ("trong 2 năm 2025-2026", date(2026, 12, 31))


def test_named_places_listed_with_commas_only_are_one_lead_each():
    tasks = leads_and_work(
        "Đề nghị UBND các xã Gio An, Gio Sơn, Gio Hòa huy động lực lượng dập dịch."
    )
    assert [lead for lead, _, _ in tasks] == [
        "UBND xã Gio An",
        "UBND xã Gio Sơn",
        "UBND xã Gio Hòa",
    ]


def test_without_an_issue_date_the_meetings_year_dates_a_day_and_month():
    tasks = leads_and_work(
        "Ngày 12/7/2023, Chủ tịch UBND huyện kiểm tra đồng ruộng.\n"
        "Phòng Nông nghiệp tổ chức tập huấn diệt rầy trước ngày 20-7."
    )
    assert tasks == [("Phòng Nông nghiệp", "Tổ chức tập huấn diệt rầy", "2023-07-20")]


def test_a_list_item_of_its_own_does_not_date_the_item_before():
    tasks = leads_and_work(
        "- Đề nghị các thôn báo cáo kịp thời khi phát hiện điểm khai thác cát trái phép.\n"
        "- Mái che của các hộ kinh doanh trên vỉa hè được tháo dỡ trước ngày 28/02.",
        issued_on=date(2024, 2, 20),
    )
    assert [(lead, deadline) for lead, _, deadline in tasks] == [("các thôn", None)]


def test_who_attended_is_not_a_directive_and_teams_are_units():
    tasks = leads_and_work(
        "Đến dự có đ/c Trần Văn Nam, Phó Chủ tịch UBND xã, chủ trì; cán bộ địa chính.\n"
        "- Tổ Địa chính, tổ Kiểm tra phải tổ chức theo dõi địa bàn."
    )
    assert [lead for lead, _, _ in tasks] == ["Tổ Địa chính", "tổ Kiểm tra"]


HERE = Path(__file__).parent
# unseen/ut-*: written before the rules above (letters, news, bullet lists, a commune), then
# used for development. sealed/us-*: read by the reader once each, for the figures in
# docs/notice-reader.md, and only then fixed where they failed.
OWN_OTHER_STYLES = sorted(
    [("unseen", p.stem) for p in (HERE / "unseen").glob("ut-*.txt")]
    + [("sealed", p.stem) for p in (HERE / "sealed").glob("us-*.txt")]
)


@pytest.mark.parametrize(("folder", "stem"), OWN_OTHER_STYLES)
def test_own_notices_in_other_styles_read_as_expected(folder, stem):
    expected = json.loads((HERE / folder / f"{stem}.expected.json").read_text(encoding="utf-8"))
    reading = read_notice((HERE / folder / f"{stem}.txt").read_text(encoding="utf-8"))
    score = score_notice(reading.to_dict()["tasks"], expected).summary()
    assert (score["task_f1"], score["lead_accuracy"], score["deadline_accuracy"]) == (1, 1, 1)


def test_a_departments_lede_is_kept_beside_another_departments_task():
    tasks = leads_and_work(
        "UBND tỉnh vừa yêu cầu Sở Y tế kiểm tra an toàn thực phẩm tại các bếp ăn tập thể.\n"
        "Sở Giáo dục và Đào tạo kiểm tra an toàn thực phẩm tại các bếp ăn trường học."
    )
    assert [lead for lead, _, _ in tasks] == ["Sở Y tế", "Sở Giáo dục và Đào tạo"]


def test_quý_cơ_quan_is_the_one_unit_the_letter_is_addressed_to():
    tasks = leads_and_work(
        "Kính gửi: Sở Giao thông vận tải tỉnh Đồng Nai.\n"
        "Đề nghị Quý cơ quan phối hợp cung cấp số liệu tai nạn giao thông năm 2023."
    )
    assert [lead for lead, _, _ in tasks] == ["Sở Giao thông vận tải tỉnh Đồng Nai"]


def test_a_modal_right_after_the_adjunct_opens_the_work():
    tasks = leads_and_work(
        "Công an tỉnh, Bộ Chỉ huy Quân sự tỉnh theo chức năng, nhiệm vụ chủ động nắm tình "
        "hình, bảo đảm an ninh trật tự."
    )
    assert {work for _, work, _ in tasks} == {"Chủ động nắm tình hình, bảo đảm an ninh trật tự"}


def test_a_news_summary_lede_to_generic_units_gives_way_to_named_directives():
    tasks = leads_and_work(
        "Chiều 3/4, Chủ tịch UBND tỉnh đã kiểm tra đê biển và yêu cầu các ngành chức năng "
        "sớm có phương án gia cố.\n"
        "Chủ tịch UBND tỉnh giao Sở Xây dựng lập phương án gia cố đê.\n"
        "Sở Tài chính bố trí kinh phí thực hiện."
    )
    assert [lead for lead, _, _ in tasks] == ["Sở Xây dựng", "Sở Tài chính"]


def test_a_directive_to_generic_units_after_the_meeting_is_kept():
    tasks = leads_and_work(
        "Sáng 17/9, Chủ tịch UBND tỉnh chủ trì cuộc họp về khắc phục mưa lũ.\n"
        "Kết luận cuộc họp, Chủ tịch UBND tỉnh đề nghị các địa phương rà soát các hộ dân vùng "
        "sạt lở.\n"
        "Chủ tịch UBND tỉnh giao Sở Xây dựng lập phương án tái định cư.\n"
        "Sở Tài chính bố trí kinh phí thực hiện."
    )
    assert [lead for lead, _, _ in tasks] == ["các địa phương", "Sở Xây dựng", "Sở Tài chính"]


def test_a_closing_that_says_to_carry_out_the_conclusion_is_dropped():
    tasks = leads_and_work(
        "1. Phòng Y tế kiểm tra các cơ sở kinh doanh thực phẩm.\n"
        "2. Các cơ quan, đơn vị theo chức năng, nhiệm vụ tổ chức thực hiện nghiêm túc kết luận này."
    )
    assert [lead for lead, _, _ in tasks] == ["Phòng Y tế"]


def test_roles_in_brackets_split_the_lead_from_the_coordinating_units():
    reading = read_notice(
        "Giao Sở Y tế (chủ trì), Sở Tài chính, Sở Nội vụ (phối hợp) xây dựng phương án mua sắm "
        "thiết bị y tế."
    )
    assert [(t.lead, t.coordinating) for t in reading.tasks] == [
        ("Sở Y tế", ["Sở Tài chính", "Sở Nội vụ"])
    ]


def test_committees_of_places_listed_after_a_colon():
    tasks = leads_and_work("UBND các huyện: Vĩnh Linh, Gio Linh, Cam Lộ chủ động sơ tán dân.")
    assert [lead for lead, _, _ in tasks] == [
        "UBND huyện Vĩnh Linh",
        "UBND huyện Gio Linh",
        "UBND huyện Cam Lộ",
    ]


def test_a_departments_known_name_ends_before_a_verb_the_lexicon_lacks():
    reading = read_notice(
        "Ban Quản lý các khu công nghiệp tỉnh phối hợp với Sở Lao động - Thương binh và Xã hội "
        "nắm tình hình lao động, không để xảy ra đình công."
    )
    assert [(t.lead, t.coordinating) for t in reading.tasks] == [
        ("Ban Quản lý các khu công nghiệp tỉnh", ["Sở Lao động - Thương binh và Xã hội"])
    ]


def test_more_deadline_forms():
    on = date(2024, 10, 14)
    assert leads_and_work("Sở Y tế hoàn thành tiêm chủng đến hết ngày 31/12.", issued_on=on) == [
        ("Sở Y tế", "Hoàn thành tiêm chủng", "2024-12-31")
    ]
    assert leads_and_work(
        "Sở Y tế hoàn thành tiêm chủng trước Tết Nguyên đán Ất Tỵ.", issued_on=on
    ) == [("Sở Y tế", "Hoàn thành tiêm chủng", "2025-01-29")]
    # a week: read (so the report is a task, and the phrase leaves the work), date left to the
    # clerk
    reading = read_notice("Sở Y tế báo cáo UBND tỉnh trong tuần này.", issued_on=on)
    (task,) = reading.tasks
    assert (task.task, task.deadline_text, task.deadline) == (
        "Báo cáo UBND tỉnh",
        "trong tuần này",
        None,
    )


def test_the_other_units_that_phối_hợp_after_the_lead_chủ_trì():
    reading = read_notice(
        "Giao Sở Y tế chủ trì, Sở Tài chính và các sở, ngành liên quan phối hợp thẩm định "
        "danh mục thiết bị."
    )
    assert [(t.lead, t.coordinating, t.task) for t in reading.tasks] == [
        ("Sở Y tế", ["Sở Tài chính", "các sở, ngành liên quan"], "Thẩm định danh mục thiết bị")
    ]


def test_a_unit_as_the_topic_is_the_subject():
    tasks = leads_and_work(
        "Đối với Sở Y tế: khẩn trương bổ sung thuốc cho vùng lũ.\n"
        "Về phía Sở Giáo dục và Đào tạo, cần rà soát cơ sở vật chất trường học.\n"
        "Đối với các dự án chậm tiến độ, Sở Kế hoạch và Đầu tư rà soát, điều chuyển vốn."
    )
    assert [lead for lead, _, _ in tasks] == [
        "Sở Y tế",
        "Sở Giáo dục và Đào tạo",
        "Sở Kế hoạch và Đầu tư",
    ]


def test_a_verb_right_after_the_adjunct_opens_the_work():
    tasks = leads_and_work(
        "Các Sở: Tài chính, Nội vụ theo chức năng, nhiệm vụ tham mưu bố trí vốn."
    )
    assert {work for _, work, _ in tasks} == {"Tham mưu bố trí vốn"}


def test_a_singular_subject_pointing_back_and_lưu_ý_as_a_directive():
    tasks = leads_and_work(
        "Sở Tài chính được giao chủ trì thẩm định giá đất. Sở này cũng phải báo cáo kết quả "
        "trước ngày 30/11/2024.\n"
        "Chủ tịch UBND tỉnh lưu ý Sở Tài nguyên và Môi trường phải kiểm tra việc khai thác cát."
    )
    assert tasks == [
        ("Sở Tài chính", "Thẩm định giá đất; báo cáo kết quả", "2024-11-30"),
        ("Sở Tài nguyên và Môi trường", "Kiểm tra việc khai thác cát", None),
    ]


def test_levels_and_party_committees_are_groups():
    tasks = leads_and_work(
        "Chủ tịch UBND tỉnh yêu cầu các cấp, các ngành tập trung khắc phục hậu quả bão.\n"
        "Yêu cầu các cấp ủy, chính quyền địa phương tăng cường lãnh đạo công tác phòng dịch."
    )
    assert [lead for lead, _, _ in tasks] == [
        "các cấp, các ngành",
        "các cấp ủy, chính quyền địa phương",
    ]


def test_an_exception_with_its_own_date_keeps_the_work():
    tasks = leads_and_work(
        "UBND các xã, phường rà soát hồ sơ đất đai, hoàn thành trước ngày 15-11; riêng UBND "
        "phường Tân An hoàn thành trước ngày 30-11.",
        issued_on=date(2024, 10, 14),
    )
    assert tasks == [
        ("UBND các xã, phường", "Rà soát hồ sơ đất đai", "2024-11-15"),
        ("UBND phường Tân An", "Rà soát hồ sơ đất đai", "2024-11-30"),
    ]


def test_chậm_nhất_before_a_month_belongs_to_the_deadline():
    tasks = leads_and_work(
        "Giao Sở Tài chính bảo đảm kinh phí chậm nhất trong tháng 11/2024.",
        issued_on=date(2024, 10, 14),
    )
    assert tasks == [("Sở Tài chính", "Bảo đảm kinh phí", "2024-11-30")]


def test_a_unit_alone_on_a_numbered_line_heads_the_work_below_it():
    tasks = leads_and_work(
        "II. TỔ CHỨC THỰC HIỆN\n"
        "1. Phòng Y tế\n"
        "- Tổ chức tiêm chủng cho trẻ em.\n"
        "2. Phòng Tài chính - Kế hoạch\n"
        "Bố trí kinh phí thực hiện kế hoạch.\n"
        "3. UBND các xã, thị trấn\n"
        "- Vận động người dân đưa trẻ đi tiêm.",
    )
    assert [(lead, work) for lead, work, _ in tasks] == [
        ("Phòng Y tế", "Tổ chức tiêm chủng cho trẻ em"),
        ("Phòng Tài chính - Kế hoạch", "Bố trí kinh phí thực hiện kế hoạch"),
        ("UBND các xã, thị trấn", "Vận động người dân đưa trẻ đi tiêm"),
    ]


def test_attendees_listed_with_semicolons_head_nothing():
    tasks = leads_and_work(
        "Thành phần dự họp:\n- Phòng Y tế;\n- Phòng Tài chính - Kế hoạch;\n"
        "Sau khi nghe báo cáo, Chủ tịch UBND huyện kết luận:\n"
        "1. Phòng Y tế tổ chức tiêm chủng cho trẻ em."
    )
    assert [lead for lead, _, _ in tasks] == ["Phòng Y tế"]


def test_a_task_table_pasted_as_text_gives_one_task_per_row():
    reading = read_notice(
        "Phụ lục: Nhiệm vụ cụ thể\n"
        "STT\tNội dung công việc\tĐơn vị chủ trì\tĐơn vị phối hợp\tThời gian hoàn thành\n"
        "1\tRà soát danh sách hộ nghèo\tPhòng Lao động - Thương binh và Xã hội\tUBND các xã\t"
        "30/11/2024\n"
        "2\tBố trí kinh phí hỗ trợ\tPhòng Tài chính - Kế hoạch\t\tQuý IV/2024\n"
        "3\tTuyên truyền chính sách\tTrung tâm Văn hóa - Thể thao\t\tThường xuyên\n",
        issued_on=date(2024, 10, 1),
    )
    assert [(t.lead, t.coordinating, t.task, t.deadline, t.recurring) for t in reading.tasks] == [
        (
            "Phòng Lao động - Thương binh và Xã hội",
            ["UBND các xã"],
            "Rà soát danh sách hộ nghèo",
            date(2024, 11, 30),
            False,
        ),
        ("Phòng Tài chính - Kế hoạch", [], "Bố trí kinh phí hỗ trợ", date(2024, 12, 31), False),
        ("Trung tâm Văn hóa - Thể thao", [], "Tuyên truyền chính sách", None, True),
    ]


def test_a_header_table_row_is_not_a_task_table():
    reading = read_notice(
        "Số: 12/UBND-VP | CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM | Hà Nội, ngày 05 tháng 3 năm 2024\n"
        "Giao Sở Y tế kiểm tra an toàn thực phẩm."
    )
    assert reading.notice.issued_on == date(2024, 3, 5)
    assert [t.lead for t in reading.tasks] == ["Sở Y tế"]


def test_places_listed_after_a_bare_kind_and_a_colon():
    tasks = leads_and_work("UBND huyện đề nghị các xã: Hòa Bình, Tân Lập rà soát lại hồ sơ.")
    assert [lead for lead, _, _ in tasks] == ["xã Hòa Bình", "xã Tân Lập"]


def test_a_sentence_that_goes_on_gives_its_deadline_to_a_task_without_one():
    on = date(2024, 10, 14)
    assert leads_and_work(
        "Chủ tịch UBND tỉnh giao Sở Y tế kiểm tra các cơ sở. Sau đó, tổng hợp báo cáo trước "
        "ngày 5/11.",
        issued_on=on,
    ) == [("Sở Y tế", "Kiểm tra các cơ sở. Sau đó, tổng hợp báo cáo", "2024-11-05")]
    # a task with its own date keeps it, and the later date stays in its work
    assert leads_and_work(
        "Giao Sở Y tế kiểm tra các cơ sở, báo cáo trước ngày 1/11. Đồng thời, tổng hợp số liệu "
        "trước ngày 5/11.",
        issued_on=on,
    ) == [
        (
            "Sở Y tế",
            "Kiểm tra các cơ sở, báo cáo. Đồng thời, tổng hợp số liệu trước ngày 5/11",
            "2024-11-01",
        )
    ]


def test_reported_speech_news():
    on = date(2024, 10, 14)
    assert leads_and_work(
        '"Các địa phương phải hoàn thành việc di dời dân trước 17 giờ ngày 15/10", Chủ tịch '
        "UBND tỉnh yêu cầu.",
        issued_on=on,
    ) == [("Các địa phương", "Hoàn thành việc di dời dân", "2024-10-15")]
    assert leads_and_work(
        "Chủ tịch UBND tỉnh nhấn mạnh, Sở Xây dựng cần khẩn trương hoàn thiện hồ sơ quy hoạch.",
        issued_on=on,
    ) == [("Sở Xây dựng", "Khẩn trương hoàn thiện hồ sơ quy hoạch", None)]
