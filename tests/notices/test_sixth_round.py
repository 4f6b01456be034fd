"""Issue 20, sixth round: what fresh texts still missed — relative deadlines in news counted
from the meeting, unit names cut at a lower-case word, the lead moved to the unit directed by
"chỉ đạo" — each written here in a text of its own (see "Sixth round" in
docs/notice-reader.md)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from tracker.notices.deadlines import find_deadlines
from tracker.notices.evaluate import evaluate_folder
from tracker.notices.extract import read_notice


def _deadlines(text: str) -> list[tuple[str, date | None]]:
    reading = read_notice(text)
    return [(t.task, t.deadline) for t in reading.tasks]


NEWS = (
    "Chủ tịch UBND tỉnh làm việc về công tác phòng chống hạn\n\n"
    "Thứ Hai, 14/03/2022 09:10\n\n"
    "(TN) - Sáng 11-3, Chủ tịch UBND tỉnh Lê Văn Bình chủ trì cuộc họp về phòng chống hạn mặn.\n\n"
    "Kết luận cuộc họp, Chủ tịch UBND tỉnh yêu cầu Sở Nông nghiệp và Phát triển nông thôn "
    "rà soát diện tích lúa thiếu nước, báo cáo trong vòng 10 ngày. Sở Tài chính tham mưu bố trí "
    "kinh phí nạo vét kênh mương, trình trong 20 ngày kể từ ngày họp. Công ty Thủy nông tổ chức lấy "
    "nước đệm trong hai tuần.\n"
)


def test_a_news_reports_relative_deadlines_count_from_the_meeting_not_the_publication():
    # 11/3/2022 + 10 days; + 20 days from the meeting; + two weeks (a number written as a word)
    assert [d for _task, d in _deadlines(NEWS)] == [
        date(2022, 3, 21),
        date(2022, 3, 31),
        date(2022, 3, 25),
    ]


def test_without_a_publication_date_the_meeting_takes_the_year_of_the_first_full_date():
    text = NEWS.replace("Thứ Hai, 14/03/2022 09:10", "Cập nhật: 09:10, 14/03/2022")
    assert _deadlines(text)[0][1] == date(2022, 3, 21)


def test_a_period_that_starts_on_a_named_day_counts_that_day_in():
    found = find_deadlines(
        "ra quân xử lý lấn chiếm trong 30 ngày cao điểm bắt đầu từ ngày 15/11",
        issued_on=date(2025, 11, 10),
    )
    assert [(m.text, m.deadline) for m in found] == [
        ("trong 30 ngày cao điểm bắt đầu từ ngày 15/11", date(2025, 12, 14))
    ]


def test_a_formal_notice_still_counts_from_its_own_day_with_the_civil_code_shift():
    # 18/3/2022 + 15 days = Sunday 2/4 -> Monday 4/4 (the day off is shifted in a notice)
    found = find_deadlines("báo cáo trong vòng mười lăm ngày", issued_on=date(2022, 3, 18))
    assert [m.deadline for m in found] == [date(2022, 4, 4)]
    # a meeting day is unknown in a notice: "kể từ ngày họp" gives no date there
    found = find_deadlines("trình trong 20 ngày kể từ ngày họp", issued_on=date(2022, 3, 18))
    assert [m.deadline for m in found] == [None]


def _leads(text: str) -> list[str]:
    return [t.lead for t in read_notice(text, issued_on=date(2025, 8, 4)).tasks]


def test_a_known_compound_begun_in_capitals_runs_on_in_lower_case():
    text = (
        "1. Trung tâm Giáo dục thường xuyên tỉnh tổ chức tuyển sinh các lớp bổ túc văn hóa.\n"
        "2. Đội Trật tự đô thị phường tổ chức ra quân giải tỏa lấn chiếm vỉa hè.\n"
        "3. Trung tâm Dịch vụ tổng hợp xã bố trí nhân lực vệ sinh môi trường sau lễ hội.\n"
    )
    assert _leads(text) == [
        "Trung tâm Giáo dục thường xuyên tỉnh",
        "Đội Trật tự đô thị phường",
        "Trung tâm Dịch vụ tổng hợp xã",
    ]


NOTICE = (
    "ỦY BAN NHÂN DÂN\nTỈNH AN GIANG\n\nSố: 45/TB-UBND\n"
    "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc\n\n"
    "An Giang, ngày 10 tháng 5 năm 2024\n\nTHÔNG BÁO\n"
    "Kết luận của Chủ tịch UBND tỉnh tại cuộc họp về phòng chống dịch tả heo\n\n"
    "1. Đề nghị Sở Nông nghiệp và Phát triển nông thôn rà soát lượng vắc xin dự trữ, báo cáo "
    "UBND tỉnh trước ngày 20/5/2024; đồng thời chỉ đạo Chi cục Chăn nuôi và Thú y giám sát "
    "chặt chẽ các ổ dịch cũ.\n"
    "2. UBND thành phố Long Xuyên:\n"
    "- Tập trung chỉ đạo Ban Quản lý chợ thành phố kiểm soát việc giết mổ tại các chợ.\n"
    "- Tổ chức tiêu độc khử trùng các khu chăn nuôi tập trung.\n"
)


def test_the_unit_asked_goes_on_directing_after_a_semicolon_and_in_a_headings_items():
    tasks = read_notice(NOTICE).tasks
    assert [t.lead for t in tasks] == [
        "Sở Nông nghiệp và Phát triển nông thôn",
        "Sở Nông nghiệp và Phát triển nông thôn",
        "UBND thành phố Long Xuyên",
        "UBND thành phố Long Xuyên",
    ]
    assert "Chi cục Chăn nuôi và Thú y" in tasks[1].task


def test_a_city_committee_heads_items_in_a_provinces_notice_but_issues_in_a_citys():
    city = NOTICE.replace("TỈNH AN GIANG", "THÀNH PHỐ CẦN THƠ").replace(
        "UBND thành phố Long Xuyên:", "UBND thành phố:"
    )
    # in the city's own notice "UBND thành phố:" is the issuer introducing its words
    assert "UBND thành phố" not in [t.lead for t in read_notice(city).tasks]


def test_each_place_after_a_committee_of_a_named_place_has_its_own_committee():
    from tracker.notices.units import parse_unit_list, tokenize

    text = "UBND thị xã Sơn Tây, Quận 3, huyện Ba Vì và huyện Phúc Thọ rà soát đê điều."
    toks = tokenize(text)
    units, _ = parse_unit_list(toks, 0, len(toks), text)
    assert [u.text for u in units] == [
        "UBND thị xã Sơn Tây",
        "UBND Quận 3",
        "UBND huyện Ba Vì",
        "UBND huyện Phúc Thọ",
    ]
    # a department between them is a unit of its own; the place after it is not a committee
    text = "UBND huyện Ba Vì, Sở Y tế và xã Tản Lĩnh rà soát."
    toks = tokenize(text)
    assert [u.text for u in parse_unit_list(toks, 0, len(toks), text)[0]][:2] == [
        "UBND huyện Ba Vì",
        "Sở Y tế",
    ]


VISIT = (
    "Phó Chủ tịch UBND tỉnh kiểm tra công tác phòng chống hạn tại huyện Ninh Phước\n"
    "Cập nhật: 08:30, 12/05/2020\n\n"
    "(NT) - Sáng 11/5, ông Trần Quốc Nam, Phó Chủ tịch UBND tỉnh, Trưởng Ban Chỉ đạo các "
    "chương trình mục tiêu quốc gia tỉnh chủ trì buổi làm việc với huyện Ninh Phước.\n\n"
    "Đoàn đã đến kiểm tra tại hồ chứa nước Sông Biêu và các trạm bơm dã chiến.\n\n"
    "Kết luận buổi làm việc, ông yêu cầu UBND huyện Ninh Phước điều tiết nước tưới cho vụ Hè "
    "Thu, hoàn thành trong vòng 10 ngày. Các cấp, các ngành phải vào cuộc quyết liệt với tinh "
    "thần vì nhân dân phục vụ.\n"
)


def test_a_news_visit_keeps_only_its_directive():
    tasks = read_notice(VISIT).tasks
    # the headline (its dateline joined to its line), who chaired, where the party went and
    # the call to everyone are no tasks; "trong vòng 10 ngày" counts from 11/5/2020
    assert [(t.lead, t.deadline) for t in tasks] == [("UBND huyện Ninh Phước", date(2020, 5, 21))]


def test_a_unit_asked_in_the_passive_leads_the_work_after_the_directive():
    text = (
        "Kết luận của Chủ tịch UBND tỉnh:\n"
        "Ban Quản lý dự án giao thông tỉnh được yêu cầu đôn đốc nhà thầu bổ sung máy móc, "
        "hoàn thành trước ngày 30/6/2024.\n"
    )
    tasks = read_notice(text, issued_on=date(2024, 3, 1)).tasks
    assert [(t.lead, t.task, t.deadline) for t in tasks] == [
        (
            "Ban Quản lý dự án giao thông tỉnh",
            "Đôn đốc nhà thầu bổ sung máy móc",
            date(2024, 6, 30),
        )
    ]


def test_a_three_word_head_is_a_name_already_so_a_verb_after_it_is_the_work():
    from tracker.notices.units import parse_unit_list, tokenize

    text = "Hạt Kiểm lâm duy trì chế độ trực 24/24 giờ."
    toks = tokenize(text)
    assert [u.text for u in parse_unit_list(toks, 0, len(toks), text)[0]] == ["Hạt Kiểm lâm"]


def test_a_bare_place_as_lead_is_the_committee_of_the_one_place_of_that_kind_named():
    text = (
        "Chiều 12-8-2020, Chủ tịch UBND tỉnh làm việc với huyện Tân Phước về nông thôn mới.\n\n"
        "Kết luận, Chủ tịch UBND tỉnh đề nghị huyện khẩn trương hoàn thiện hồ sơ đề nghị xét "
        "công nhận đạt chuẩn, gửi về Sở Nông nghiệp trong quý III.\n"
    )
    assert [t.lead for t in read_notice(text).tasks] == ["UBND huyện Tân Phước"]
    # two places of that kind named: which one is meant is left to the clerk
    two = text.replace("với huyện Tân Phước", "với huyện Tân Phước và huyện Cái Bè")
    assert [t.lead for t in read_notice(two).tasks] == ["huyện"]


def test_a_numbered_line_with_a_directive_and_units_only_heads_the_work_below():
    text = (
        "ỦY BAN NHÂN DÂN\nXÃ HÒA PHÚ\n\nSố: 12/TB-UBND\n"
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\n\nHòa Phú, ngày 2 tháng 10 năm 2025\n\n"
        "THÔNG BÁO\nKết luận của Chủ tịch UBND xã tại cuộc họp giao ban\n\n"
        "1. Đề nghị Công an xã\n"
        "Tăng cường tuần tra, bảo đảm an ninh trật tự trong dịp lễ hội.\n\n"
        "2. Văn phòng HĐND và UBND xã\n"
        "Tham mưu chuẩn bị tài liệu phục vụ kỳ họp HĐND xã trước ngày 20/10/2025.\n"
    )
    assert [(t.lead, t.deadline) for t in read_notice(text).tasks] == [
        ("Công an xã", None),
        ("Văn phòng HĐND và UBND xã", date(2025, 10, 20)),
    ]


def test_asked_to_direct_another_unit_in_the_items_below_the_unit_asked_leads_them():
    text = (
        "Kính gửi: Công ty Cấp nước Quảng Bình\n\n"
        "UBND huyện Bố Trạch kính đề nghị Quý Công ty quan tâm, chỉ đạo Xí nghiệp Cấp nước Bố "
        "Trạch một số nội dung sau:\n\n"
        "1. Khẩn trương di dời đường ống cấp nước ra khỏi phạm vi thi công trước ngày 15/8/2024.\n"
        "2. Cử cán bộ kỹ thuật giám sát việc đấu nối lại đường ống.\n"
    )
    tasks = read_notice(text, issued_on=date(2024, 7, 20)).tasks
    # "Quý Công ty" is the addressee; the intro announcing the items is no task of its own
    assert [t.lead for t in tasks] == ["Công ty Cấp nước Quảng Bình"] * 2


def test_the_sixth_held_out_set_does_not_fall():
    # m01-m14, written while the sixth round ran: 0.955 task F1 (lead 0.987, deadline 0.933)
    # on the fifth round's reader, 0.969 / 0.987 / 0.987 after the sixth; the seventh round
    # developed on it (1.0 / 1.0 / 1.0; docs/notice-reader.md), so it is a guard now, no
    # longer a measure of unseen text.
    totals = json.loads(list(evaluate_folder(Path(__file__).parent / "heldout6"))[-1])
    assert totals["notices_unread"] == 0
    assert totals["task_f1"] >= 0.99 and totals["lead_accuracy"] >= 0.99
    assert totals["deadline_accuracy"] >= 0.99
