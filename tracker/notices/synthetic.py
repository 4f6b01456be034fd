"""Generated notices for measuring the reader: a long plausible notice, and pathological pastes."""

from __future__ import annotations

import random

__all__ = ["PATHOLOGICAL_KINDS", "pathological_text", "sample_notice"]

_LEADS = [
    "Sở Tài chính",
    "Sở Xây dựng",
    "Sở Nông nghiệp và Môi trường",
    "Sở Giáo dục và Đào tạo",
    "Sở Y tế",
    "Công an tỉnh",
    "Bộ Chỉ huy Quân sự tỉnh",
    "Ban Quản lý dự án đầu tư xây dựng tỉnh",
    "Trung tâm Phục vụ hành chính công tỉnh",
    "UBND các xã, phường, đặc khu",
    "Phòng Kinh tế, Hạ tầng và Đô thị",
    "Văn phòng UBND tỉnh",
]
_VERBS = [
    "rà soát",
    "kiểm tra",
    "hoàn thiện",
    "tham mưu",
    "đẩy nhanh tiến độ",
    "xử lý dứt điểm",
    "tổng hợp",
    "đánh giá",
]
_OBJECTS = [
    "hồ sơ đất đai của dự án khu dân cư",
    "chất lượng công trình trường học",
    "phương án bồi thường, hỗ trợ tái định cư",
    "kế hoạch tập huấn nghiệp vụ cho cán bộ cấp xã",
    "việc giải ngân vốn đầu tư công",
    "phương án phòng, chống thiên tai",
    "kiến nghị của cử tri",
    "danh mục thủ tục hành chính liên thông",
    "hiện trạng hệ thống thoát nước đô thị",
    "nhu cầu kinh phí sửa chữa trụ sở",
]
_PLACES = [
    "xã Tân Lập",
    "phường Bắc Sơn",
    "đặc khu Cồn Cỏ",
    "khu vực ven biển phía Nam",
    "các xã vùng cao",
    "tuyến quốc lộ 1A",
    "khu công nghiệp Phú Bài",
    "lưu vực sông Hương",
]
_PURPOSES = [
    "bảo đảm đúng quy định của pháp luật",
    "không để phát sinh khiếu kiện đông người",
    "làm cơ sở bố trí vốn năm sau",
    "phục vụ kỳ họp Hội đồng nhân dân cuối năm",
    "kịp thời tháo gỡ khó khăn cho người dân",
    "gắn với trách nhiệm của người đứng đầu",
]
_DEADLINES = [
    "trước ngày {d}/{m}/2025",
    "trong tháng {m}/2025",
    "trong quý III/2025",
    "trong 10 ngày làm việc",
    "chậm nhất ngày {d}-{m}",
]
_HEADER = (
    "ỦY BAN NHÂN DÂN\nTỈNH AN HÒA\nSố: 245/TB-UBND\n"
    "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc\n"
    "An Hòa, ngày 12 tháng 5 năm 2025\n\nTHÔNG BÁO\n"
    "Kết luận của Chủ tịch UBND tỉnh tại cuộc họp giao ban tháng 5 năm 2025\n\n"
    "Ngày 08/5/2025, Chủ tịch UBND tỉnh chủ trì cuộc họp giao ban. Sau khi nghe báo cáo, Chủ "
    "tịch UBND tỉnh kết luận như sau:\n"
)
_FOOTER = (
    "\nVăn phòng UBND tỉnh thông báo để các cơ quan, đơn vị biết, thực hiện./.\n\n"
    "Nơi nhận:\n- Như trên;\n- Lưu: VT.\nKT. CHỦ TỊCH\nPHÓ CHỦ TỊCH\n\nNguyễn Văn An\n"
)


def _directive(rng: random.Random, n: int) -> str:
    lead = rng.choice(_LEADS)
    other = rng.choice([u for u in _LEADS if u != lead])
    work = (
        f"{rng.choice(_VERBS)} {rng.choice(_OBJECTS)} tại {rng.choice(_PLACES)} (đợt {n}), "
        f"{rng.choice(_PURPOSES)}"
    )
    deadline = rng.choice(_DEADLINES).format(d=rng.randint(1, 28), m=rng.randint(6, 12))
    form = n % 4
    if form == 0:
        return f"Giao {lead} chủ trì, phối hợp với {other} {work}; hoàn thành {deadline}."
    if form == 1:
        return f"{lead} khẩn trương {work}, báo cáo UBND tỉnh {deadline}."
    if form == 2:
        return f"Yêu cầu {lead} {work} {deadline}."
    return f"Việc {work} do {lead} chủ trì, phối hợp với {other} thực hiện, xong {deadline}."


def sample_notice(size: int = 200_000, seed: int = 1) -> str:
    """A plausible conclusion notice of about `size` bytes in UTF-8: a header, numbered
    sections of directives in the usual forms (each different), and a signature."""
    rng = random.Random(seed)
    parts = [_HEADER]
    length = len(_HEADER.encode()) + len(_FOOTER.encode())
    n = 0
    while length < size:
        n += 1
        line = f"{n}. {_directive(rng, n)}\n"
        if n % 5 == 0:
            line = (
                f"{n}. Về tình hình thực hiện nhiệm vụ đợt {n}: các đơn vị đã cơ bản hoàn thành.\n"
            )
        parts.append(line)
        length += len(line.encode())
    parts.append(_FOOTER)
    return "".join(parts)


PATHOLOGICAL_KINDS = (
    "unit-lists",
    "no-punctuation",
    "semicolons",
    "abbreviations",
    "wrapped-lines",
    "colons",
)


def pathological_text(kind: str, size: int) -> str:
    """Text of about `size` characters made to stress one part of the reader: long lists of
    units, a sentence without punctuation, thousands of ";", "TP." abbreviations, a paragraph
    wrapped into thousands of lines, or thousands of ":" headings."""
    pieces = {
        "unit-lists": ("Giao ", "Sở Tài chính, Sở Xây dựng, UBND các xã, phường, thị trấn, ", ""),
        "no-punctuation": (
            "",
            "giao Sở Y tế chủ trì phối hợp với các đơn vị liên quan kiểm tra ",
            "",
        ),
        "semicolons": ("Giao Sở Y tế chủ trì kiểm tra", "; rà soát hồ sơ", "."),
        "abbreviations": ("Giao ", "UBND TP. Huế, UBND TX. Hương Trà, ", "rà soát."),
        "wrapped-lines": ("Giao Sở Y tế ", "kiểm tra hồ sơ dự án của\n", "."),
        "colons": ("", "Sở Y tế: ", "kiểm tra."),
    }
    if kind not in pieces:
        raise ValueError(f"unknown kind {kind!r}: one of {', '.join(PATHOLOGICAL_KINDS)}")
    head, unit, tail = pieces[kind]
    count = max(1, (size - len(head) - len(tail)) // len(unit))
    return head + unit * count + tail
