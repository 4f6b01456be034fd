"""Demo data: the units of Vân Hồ district (Sơn La), its users, and the meetings of spring 2017."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa
from flask import current_app

from tracker.auth.models import Role, User
from tracker.auth.operations import create_user
from tracker.extensions import db
from tracker.meetings.operations import save_meeting
from tracker.tasks import operations as task_ops
from tracker.units.models import Unit, UnitKind
from tracker.units.operations import save_unit

DEMO_PASSWORD = "vanho@2017!"
EMAIL_DOMAIN = "vanho.example"

# name, short name, kind, aliases
UNITS: list[tuple[str, str, str, list[str]]] = [
    ("Lãnh đạo UBND huyện", "Lãnh đạo UBND", UnitKind.OTHER, ["UBND huyện Vân Hồ"]),
    (
        "Văn phòng HĐND và UBND huyện",
        "VP HĐND-UBND",
        UnitKind.OFFICE,
        ["Văn phòng Hội đồng nhân dân và Ủy ban nhân dân", "Văn phòng HĐND và UBND"],
    ),
    ("Phòng Nội vụ", "Nội vụ", UnitKind.DEPARTMENT, ["Phòng NV"]),
    ("Phòng Tài chính - Kế hoạch", "TC-KH", UnitKind.DEPARTMENT, ["Phòng TC-KH"]),
    ("Phòng Tư pháp", "Tư pháp", UnitKind.DEPARTMENT, []),
    ("Phòng Kinh tế và Hạ tầng", "KT-HT", UnitKind.DEPARTMENT, ["Phòng KT&HT"]),
    ("Phòng Tài nguyên và Môi trường", "TN&MT", UnitKind.DEPARTMENT, ["Phòng TN&MT"]),
    (
        "Phòng Lao động - Thương binh và Xã hội",
        "LĐ-TB&XH",
        UnitKind.DEPARTMENT,
        ["Phòng LĐ-TB&XH"],
    ),
    ("Phòng Giáo dục và Đào tạo", "GD&ĐT", UnitKind.DEPARTMENT, ["Phòng GD&ĐT"]),
    ("Phòng Y tế", "Y tế", UnitKind.DEPARTMENT, []),
    ("Phòng Văn hóa và Thông tin", "VH-TT", UnitKind.DEPARTMENT, ["Phòng VH&TT"]),
    (
        "Phòng Nông nghiệp và Phát triển nông thôn",
        "NN&PTNT",
        UnitKind.DEPARTMENT,
        ["Phòng NN&PTNT", "Phòng Nông nghiệp và PTNT"],
    ),
    ("Phòng Dân tộc", "Dân tộc", UnitKind.DEPARTMENT, []),
    ("Thanh tra huyện", "Thanh tra", UnitKind.DEPARTMENT, []),
    ("Công an huyện", "Công an", UnitKind.OTHER, ["Công an huyện Vân Hồ"]),
    ("Ban Chỉ huy Quân sự huyện", "BCH Quân sự", UnitKind.OTHER, []),
    ("Chi cục Thuế huyện", "Chi cục Thuế", UnitKind.OTHER, []),
    ("Ủy ban Mặt trận Tổ quốc huyện", "MTTQ", UnitKind.OTHER, ["Mặt trận Tổ quốc huyện"]),
]

COMMUNES = [
    "Chiềng Khoa",
    "Chiềng Xuân",
    "Chiềng Yên",
    "Liên Hòa",
    "Lóng Luông",
    "Mường Men",
    "Mường Tè",
    "Quang Minh",
    "Song Khủa",
    "Suối Bàng",
    "Tân Xuân",
    "Tô Múa",
    "Vân Hồ",
    "Xuân Nha",
]

NOTICE_45 = """ỦY BAN NHÂN DÂN HUYỆN VÂN HỒ
Số: 45/TB-UBND
CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM
Độc lập - Tự do - Hạnh phúc
Vân Hồ, ngày 05 tháng 4 năm 2017

THÔNG BÁO
Kết luận của đồng chí Chủ tịch UBND huyện tại Hội nghị đánh giá công tác cải cách \
thủ tục hành chính năm 2016, triển khai nhiệm vụ năm 2017

Ngày 04/4/2017, đồng chí Nguyễn Huy Anh, Chủ tịch UBND huyện chủ trì Hội nghị đánh giá \
công tác cải cách hành chính năm 2016, triển khai nhiệm vụ năm 2017. Năm 2016, chỉ số cải \
cách hành chính của huyện đạt 88,78 điểm, xếp thứ 9/12 huyện, thành phố. Sau khi nghe báo \
cáo và ý kiến của các đại biểu, đồng chí Chủ tịch UBND huyện kết luận như sau:

1. Yêu cầu các xã, các phòng, ban, cơ quan, đơn vị tập trung cao cho công tác cải cách hành \
chính năm 2017; tiếp tục thực hiện nghiêm túc kỷ luật, kỷ cương hành chính.

2. Giao Phòng Nội vụ chủ trì, phối hợp với Văn phòng HĐND và UBND huyện, các phòng chuyên môn \
xây dựng kế hoạch phát huy ưu điểm, khắc phục những tồn tại, hạn chế trong công tác cải cách \
hành chính năm 2016, trình UBND huyện trước ngày 20/4/2017.

3. Giao Phòng Nội vụ chủ trì, phối hợp với Thanh tra huyện tổ chức kiểm tra công vụ tại các \
cơ quan, đơn vị và UBND các xã; báo cáo kết quả trong quý II/2017.

4. Giao Phòng Tài chính - Kế hoạch chủ trì, phối hợp với Phòng Nội vụ tham mưu bố trí kinh phí \
bảo đảm cơ sở vật chất phục vụ công tác cải cách hành chính, đặc biệt đối với cấp xã; hoàn \
thành trước ngày 15/5/2017.

5. Giao Văn phòng HĐND và UBND huyện chủ trì, phối hợp với Phòng Văn hóa và Thông tin đẩy mạnh \
ứng dụng công nghệ thông tin, đưa hệ thống quản lý văn bản và điều hành vào sử dụng tại các \
phòng chuyên môn; hoàn thành trong tháng 6/2017.

6. Giao Phòng Tư pháp rà soát, công khai đầy đủ thủ tục hành chính tại bộ phận tiếp nhận và \
trả kết quả của huyện và các xã trước ngày 30/4/2017.

7. Giao Phòng Văn hóa và Thông tin phối hợp với Đài Truyền thanh - Truyền hình huyện tuyên \
truyền về công tác cải cách hành chính trên các phương tiện thông tin đại chúng, thực hiện \
thường xuyên.

Nơi nhận:
- Các phòng, ban, đơn vị thuộc UBND huyện;
- UBND các xã;
- Lưu: VT.
TL. CHỦ TỊCH
CHÁNH VĂN PHÒNG
Lò Văn Hùng
"""


def _at(day: date, hour: int = 9) -> datetime:
    # 09:00 in Vân Hồ is 02:00 UTC.
    return datetime.combine(day, time(hour)).replace(tzinfo=UTC) - timedelta(hours=7)


def database_is_empty() -> bool:
    """True when the database holds no units, users or meetings."""
    return db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0 and (
        db.session.scalar(sa.select(sa.func.count()).select_from(Unit)) == 0
    )


def load_demo() -> list[tuple[str, str, str]]:
    """Load the demo; returns (username, role, unit) of the demo logins."""
    app = current_app
    saved_now = app.config.get("TRACKER_FIXED_NOW")
    try:
        return _load(app)
    finally:
        app.config["TRACKER_FIXED_NOW"] = saved_now


def _load(app: object) -> list[tuple[str, str, str]]:
    config = current_app.config
    config["TRACKER_FIXED_NOW"] = _at(date(2017, 3, 1))
    units: dict[str, Unit] = {}
    for name, short, kind, aliases in UNITS:
        units[name] = save_unit(None, name=name, short_name=short, kind=kind, aliases=aliases)
    for commune in COMMUNES:
        name = f"UBND xã {commune}"
        units[name] = save_unit(
            None, name=name, short_name=f"Xã {commune}", kind=UnitKind.COMMUNE, aliases=[]
        )
    save_unit(
        None,
        name="Đài Truyền thanh - Truyền hình huyện",
        short_name="Đài TT-TH",
        kind=UnitKind.OTHER,
    )
    units["Đài Truyền thanh - Truyền hình huyện"] = db.session.scalar(
        sa.select(Unit).where(Unit.short_name == "Đài TT-TH")
    )

    logins: list[tuple[str, str, str]] = []

    def user(username: str, full_name: str, role: Role, unit_name: str | None) -> User:
        unit = units[unit_name] if unit_name else None
        created = create_user(
            username=username,
            full_name=full_name,
            password=DEMO_PASSWORD,
            role=role.value,
            unit=unit,
            email=f"{username}@{EMAIL_DOMAIN}",
        )
        logins.append((username, role.value, unit.name if unit else "—"))
        return created

    user("admin", "Quản trị hệ thống", Role.ADMIN, None)
    chair = user("chutich", "Nguyễn Huy Anh", Role.CHAIR, "Lãnh đạo UBND huyện")
    vice = user("phochutich", "Đinh Văn Thành", Role.CHAIR, "Lãnh đạo UBND huyện")
    clerk = user("vanphong", "Lò Thị Hoa", Role.OFFICE, "Văn phòng HĐND và UBND huyện")
    user("lvhung", "Lò Văn Hùng", Role.OFFICE, "Văn phòng HĐND và UBND huyện")
    noivu = user("noivu", "Hà Thị Lan", Role.UNIT, "Phòng Nội vụ")
    user("noivu2", "Sồng A Dính", Role.UNIT, "Phòng Nội vụ")
    tckh = user("tckh", "Vì Văn Quang", Role.UNIT, "Phòng Tài chính - Kế hoạch")
    tuphap = user("tuphap", "Lường Thị Mai", Role.UNIT, "Phòng Tư pháp")
    user("vhtt", "Mùa A Chứ", Role.UNIT, "Phòng Văn hóa và Thông tin")
    user("kthatang", "Đinh Công Sơn", Role.UNIT, "Phòng Kinh tế và Hạ tầng")
    user("tnmt", "Lò Văn Tiến", Role.UNIT, "Phòng Tài nguyên và Môi trường")
    user("nongnghiep", "Hoàng Văn Dũng", Role.UNIT, "Phòng Nông nghiệp và Phát triển nông thôn")
    user("thanhtra", "Cầm Thị Thu", Role.UNIT, "Thanh tra huyện")
    user("xavanho", "Mùa A Dế", Role.UNIT, "UBND xã Vân Hồ")
    user("xachiengkhoa", "Lò Thị Xuân", Role.UNIT, "UBND xã Chiềng Khoa")

    office_units = [
        units[n] for n in ("Phòng Nội vụ", "Phòng Tài chính - Kế hoạch", "Phòng Tư pháp")
    ]
    communes = [units[f"UBND xã {c}"] for c in COMMUNES]

    # The conference of 4 April 2017 on administrative reform and its notice 45/TB-UBND.
    config["TRACKER_FIXED_NOW"] = _at(date(2017, 4, 5), 14)
    cchc = save_meeting(
        None,
        actor=clerk,
        title=(
            "Hội nghị đánh giá công tác cải cách thủ tục hành chính năm 2016, "
            "triển khai nhiệm vụ năm 2017"
        ),
        held_on=date(2017, 4, 4),
        place="Hội trường UBND huyện Vân Hồ",
        chair=chair,
        attending_units=[*units.values()],
        notice_number="45/TB-UBND",
        notice_issued_on=date(2017, 4, 5),
        notice_signer="Lò Văn Hùng (TL. Chủ tịch, Chánh Văn phòng)",
        notice_text=NOTICE_45,
    )
    nv, tc, tp, vp, vh, tt = (
        units["Phòng Nội vụ"],
        units["Phòng Tài chính - Kế hoạch"],
        units["Phòng Tư pháp"],
        units["Văn phòng HĐND và UBND huyện"],
        units["Phòng Văn hóa và Thông tin"],
        units["Thanh tra huyện"],
    )
    t_plan = task_ops.create_task(
        cchc,
        actor=clerk,
        content=(
            "Xây dựng kế hoạch phát huy ưu điểm, khắc phục những tồn tại, hạn chế trong công tác "
            "cải cách hành chính năm 2016, trình UBND huyện"
        ),
        lead_unit=nv,
        coordinating_units=[vp, tc, tp],
        responsible=noivu,
        deadline=date(2017, 4, 20),
        source_text=NOTICE_45.split("2. ")[1].split("\n\n")[0].replace("\\\n", ""),
    )
    t_inspect = task_ops.create_task(
        cchc,
        actor=clerk,
        content="Tổ chức kiểm tra công vụ tại các cơ quan, đơn vị và UBND các xã; báo cáo kết quả",
        lead_unit=nv,
        coordinating_units=[tt],
        deadline=date(2017, 6, 30),
    )
    t_budget = task_ops.create_task(
        cchc,
        actor=clerk,
        content=(
            "Tham mưu bố trí kinh phí bảo đảm cơ sở vật chất phục vụ công tác cải cách hành "
            "chính, đặc biệt đối với cấp xã"
        ),
        lead_unit=tc,
        coordinating_units=[nv],
        responsible=tckh,
        deadline=date(2017, 5, 15),
    )
    t_it = task_ops.create_task(
        cchc,
        actor=clerk,
        content=(
            "Đẩy mạnh ứng dụng công nghệ thông tin, đưa hệ thống quản lý văn bản và điều hành "
            "vào sử dụng tại các phòng chuyên môn"
        ),
        lead_unit=vp,
        coordinating_units=[vh],
        deadline=date(2017, 6, 30),
    )
    t_tthc = task_ops.create_task(
        cchc,
        actor=clerk,
        content=(
            "Rà soát, công khai đầy đủ thủ tục hành chính tại bộ phận tiếp nhận và trả kết quả "
            "của huyện và các xã"
        ),
        lead_unit=tp,
        deadline=date(2017, 4, 30),
    )
    task_ops.create_task(
        cchc,
        actor=clerk,
        content="Tuyên truyền về công tác cải cách hành chính trên các phương tiện thông tin đại chúng",
        lead_unit=vh,
        coordinating_units=[units["Đài Truyền thanh - Truyền hình huyện"]],
        is_recurring=True,
    )
    commune_tasks = [
        task_ops.create_task(
            cchc,
            actor=clerk,
            content=(
                "Tập trung cao cho công tác cải cách hành chính năm 2017; thực hiện nghiêm kỷ "
                "luật, kỷ cương hành chính, bố trí cán bộ làm công tác cải cách hành chính"
            ),
            lead_unit=commune,
            deadline=date(2017, 6, 30),
        )
        for commune in communes
    ]

    # What happened next, at the dates it happened.
    def at(day: date) -> None:
        config["TRACKER_FIXED_NOW"] = _at(day)

    at(date(2017, 4, 10))
    task_ops.post_progress(
        t_plan,
        actor=noivu,
        note="Đã xây dựng dự thảo kế hoạch, đang lấy ý kiến các phòng.",
        progress=50,
    )
    at(date(2017, 4, 18))
    task_ops.post_progress(
        t_plan,
        actor=noivu,
        note="Đã trình Kế hoạch số 62/KH-UBND ngày 18/4/2017.",
        status="submitted",
    )
    at(date(2017, 4, 19))
    task_ops.change_status(t_plan, actor=chair, transition_name="confirm")
    at(date(2017, 5, 20))
    task_ops.post_progress(
        t_budget, actor=tckh, note="Đã trình phương án bố trí kinh phí.", status="submitted"
    )
    at(date(2017, 5, 22))
    task_ops.change_status(t_budget, actor=vice, transition_name="confirm")
    at(date(2017, 4, 25))
    task_ops.post_progress(
        t_tthc,
        actor=tuphap,
        note="Đã rà soát 215 thủ tục, công khai tại bộ phận một cửa.",
        status="submitted",
    )
    at(date(2017, 5, 3))
    task_ops.change_status(
        t_tthc,
        actor=clerk,
        transition_name="return",
        reason="Chưa công khai tại bộ phận một cửa của 4 xã; đề nghị bổ sung.",
    )
    at(date(2017, 5, 15))
    task_ops.post_progress(t_inspect, actor=noivu, note="Đã kiểm tra 6/14 xã.", progress=40)
    task_ops.post_progress(t_it, actor=clerk, note="Đã cài đặt phần mềm cho 8 phòng.", progress=60)
    for i, task in enumerate(commune_tasks[:9]):
        at(date(2017, 5, 20) + timedelta(days=i * 5))
        commune_user = db.session.scalar(sa.select(User).where(User.unit_id == task.lead_unit_id))
        if commune_user is None:
            commune_user = clerk
            continue
        task_ops.post_progress(task, actor=commune_user, note="Đã triển khai.", status="submitted")
        task_ops.change_status(task, actor=clerk, transition_name="confirm")

    # A few more meetings of that spring, so every unit has tasks.
    at(date(2017, 4, 12))
    giaoban = save_meeting(
        None,
        actor=clerk,
        title="Họp giao ban UBND huyện tháng 4 năm 2017",
        held_on=date(2017, 4, 11),
        place="Phòng họp UBND huyện",
        chair=chair,
        attending_units=office_units,
        notice_number="52/TB-UBND",
        notice_issued_on=date(2017, 4, 12),
        notice_signer="Lò Văn Hùng",
    )
    specs = [
        (
            "Phòng Kinh tế và Hạ tầng",
            "Kiểm tra, đôn đốc tiến độ các công trình giao thông nông thôn",
            date(2017, 5, 31),
            ["UBND xã Vân Hồ"],
        ),
        (
            "Phòng Tài nguyên và Môi trường",
            "Rà soát, xử lý các trường hợp vi phạm về đất đai dọc Quốc lộ 6",
            date(2017, 6, 15),
            ["UBND xã Chiềng Yên"],
        ),
        (
            "Phòng Lao động - Thương binh và Xã hội",
            "Rà soát hộ nghèo, cận nghèo phát sinh năm 2017",
            date(2017, 6, 30),
            [],
        ),
        (
            "Phòng Giáo dục và Đào tạo",
            "Xây dựng kế hoạch tuyển sinh năm học 2017-2018",
            date(2017, 5, 30),
            ["Phòng Nội vụ"],
        ),
        (
            "Phòng Y tế",
            "Triển khai các biện pháp phòng chống dịch bệnh mùa hè",
            date(2017, 4, 28),
            ["UBND xã Tô Múa"],
        ),
        (
            "Phòng Nông nghiệp và Phát triển nông thôn",
            "Chỉ đạo sản xuất vụ mùa năm 2017",
            date(2017, 5, 15),
            [],
        ),
        (
            "Phòng Dân tộc",
            "Tổng hợp kết quả thực hiện chính sách hỗ trợ đồng bào dân tộc thiểu số",
            date(2017, 6, 20),
            [],
        ),
        (
            "Thanh tra huyện",
            "Giải quyết dứt điểm các đơn thư tồn đọng",
            date(2017, 5, 10),
            ["Phòng Tư pháp"],
        ),
        (
            "Công an huyện",
            "Bảo đảm an ninh trật tự dịp lễ 30/4 và 1/5",
            date(2017, 5, 2),
            ["Ban Chỉ huy Quân sự huyện"],
        ),
        (
            "Chi cục Thuế huyện",
            "Đôn đốc thu nộp ngân sách quý II",
            date(2017, 6, 30),
            ["Phòng Tài chính - Kế hoạch"],
        ),
        (
            "Ủy ban Mặt trận Tổ quốc huyện",
            "Vận động nhân dân tham gia xây dựng nông thôn mới",
            None,
            [],
        ),
        (
            "Ban Chỉ huy Quân sự huyện",
            "Tổ chức huấn luyện dân quân tự vệ năm 2017",
            date(2017, 6, 30),
            [],
        ),
    ]
    for lead, content, deadline, coord in specs:
        task_ops.create_task(
            giaoban,
            actor=clerk,
            content=content,
            lead_unit=units[lead],
            coordinating_units=[units[c] for c in coord],
            deadline=deadline,
            is_recurring=deadline is None,
        )

    at(date(2017, 5, 9))
    thientai = save_meeting(
        None,
        actor=clerk,
        title="Hội nghị triển khai công tác phòng chống thiên tai và tìm kiếm cứu nạn năm 2017",
        held_on=date(2017, 5, 8),
        place="Hội trường UBND huyện Vân Hồ",
        chair=vice,
        attending_units=communes,
        notice_number="78/TB-UBND",
        notice_issued_on=date(2017, 5, 9),
        notice_signer="Đinh Văn Thành",
    )
    for commune in communes:
        task_ops.create_task(
            thientai,
            actor=clerk,
            content="Rà soát các điểm có nguy cơ sạt lở, lũ quét; xây dựng phương án di dời dân",
            lead_unit=commune,
            coordinating_units=[units["Ban Chỉ huy Quân sự huyện"]],
            deadline=date(2017, 6, 15),
        )
    db.session.flush()
    return logins
