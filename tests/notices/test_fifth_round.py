"""Issue 20, fifth round: news scaffolding around a report's directives (headline, who
chaired or visited, a lede the body restates, reported figures, exhortations, closings), each
written here in a report of its own (see "Fifth round" in docs/notice-reader.md)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from tracker.notices.evaluate import evaluate_folder
from tracker.notices.extract import read_notice


def _tasks(text: str) -> list[tuple[str, str]]:
    reading = read_notice(text, issued_on=date(2024, 10, 21))
    return [(t.lead, t.task) for t in reading.tasks]


REPORT = (
    "Chủ tịch UBND tỉnh kiểm tra công trình kè sông Lam\n\n"
    "Thứ Hai, 21/10/2024 08:00\n\n"
    "Sáng 19-10, ông Nguyễn Văn An, Chủ tịch UBND tỉnh đi kiểm tra tiến độ thi công kè sông Lam. "
    "Chủ tịch UBND tỉnh yêu cầu Ban Quản lý dự án thủy lợi hoàn thành đoạn kè qua xã Hưng Lợi "
    "trước ngày 30-11.\n\n"
    "Theo báo cáo của Ban Quản lý dự án thủy lợi, công trình đạt 70% khối lượng, còn 300 m kè "
    "chưa thi công.\n\n"
    "Kết luận buổi kiểm tra, ông yêu cầu Ban Quản lý dự án thủy lợi đôn đốc nhà thầu tăng ca, "
    "hoàn thành đoạn kè qua xã Hưng Lợi trước ngày 30-11. Sở Tài chính bố trí đủ vốn cho công "
    "trình trong tháng 11. Ông cũng đề nghị các sở, ngành nêu cao tinh thần trách nhiệm, quyết "
    "tâm hoàn thành thắng lợi nhiệm vụ năm 2024. Nhà thầu nào chậm tiến độ phải chịu trách "
    "nhiệm trước UBND tỉnh.\n"
)


def test_a_report_keeps_only_the_bodys_directives():
    assert _tasks(REPORT) == [
        (
            "Ban Quản lý dự án thủy lợi",
            "Đôn đốc nhà thầu tăng ca, hoàn thành đoạn kè qua xã Hưng Lợi",
        ),
        ("Sở Tài chính", "Bố trí đủ vốn cho công trình"),
    ]


def test_who_chaired_a_meeting_is_no_task():
    text = (
        "Ngày 5-10, UBND huyện Yên Thành tổ chức hội nghị sơ kết công tác thu thuế. Ông Lê Văn "
        "Bình, Chủ tịch UBND huyện chủ trì hội nghị.\n\n"
        "Kết luận hội nghị, Chủ tịch UBND huyện đề nghị các xã tập trung làm tốt một số nhiệm vụ. "
        "Một là, Chi cục Thuế khu vực rà soát nợ thuế của các doanh nghiệp. Hai là, UBND các xã "
        "phối hợp thu nợ đọng.\n"
    )
    leads = [lead for lead, _ in _tasks(text)]
    assert leads == ["Chi cục Thuế khu vực", "UBND các xã"]


def test_a_pasted_list_keeps_its_first_line_and_a_dated_target():
    # A first line that asks something, or has no blank line under it, is no headline; "hoàn
    # thành mục tiêu 6 tháng đầu năm" is work with a date, not an exhortation.
    text = (
        "Giao Sở Y tế kiểm tra các bệnh viện tuyến huyện\n\n"
        "Sở Tài chính bố trí vốn mua thuốc.\n"
        "Các xã hoàn thành mục tiêu 6 tháng đầu năm 2024.\n"
    )
    assert [lead for lead, _ in _tasks(text)] == ["Sở Y tế", "Sở Tài chính", "Các xã"]
    assert [lead for lead, _ in _tasks(text.replace("\n\n", "\n", 1).replace("Giao ", ""))] == [
        "Sở Y tế",
        "Sở Tài chính",
        "Các xã",
    ]


def test_a_generic_closing_with_a_report_is_not_a_task():
    text = (
        "Sở Y tế chỉ đạo các bệnh viện chuẩn bị đủ thuốc.\n"
        "Nhận được văn bản này, yêu cầu các đơn vị nghiêm túc triển khai thực hiện; định kỳ báo "
        "cáo kết quả về Sở Nông nghiệp và PTNT.\n"
    )
    assert [lead for lead, _ in _tasks(text)] == ["Sở Y tế"]


def test_the_fourth_held_out_set_does_not_fall():
    # Developed on g01-g16 in the fifth round (task F1 0.863 -> 0.914, precision 0.833 ->
    # 0.934), the sixth (0.914 -> 0.942, lead 0.894 -> 0.978, deadline 0.941 -> 0.966) and the
    # seventh (0.942 -> 0.995, lead 1.0, deadline 0.979): a guard against regression, no
    # longer a measurement of unseen text.
    totals = json.loads(list(evaluate_folder(Path(__file__).parent / "heldout4"))[-1])
    assert totals["notices_unread"] == 0
    assert totals["task_f1"] >= 0.99 and totals["task_precision"] >= 0.98
    assert totals["lead_accuracy"] >= 0.99 and totals["deadline_accuracy"] >= 0.97


def test_the_fifth_held_out_set_does_not_fall():
    # k01-k12, written while the fifth round ran: read 0.925 on the fourth round's reader and
    # 0.938 after the fifth; the sixth round developed on it (task F1 1.0, lead 0.926 ->
    # 0.986, deadline 0.897 -> 1.0; the seventh: lead 1.0; docs/notice-reader.md), so it is a
    # guard, no longer a measure of unseen text.
    totals = json.loads(list(evaluate_folder(Path(__file__).parent / "heldout5"))[-1])
    assert totals["notices_unread"] == 0
    assert totals["task_f1"] >= 0.99 and totals["lead_accuracy"] >= 0.99
    assert totals["deadline_accuracy"] >= 0.99
