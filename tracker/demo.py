"""Demo data: the units of Vân Hồ district (Sơn La), its users, and the story of its meetings
of spring 2017, re-dated so that it happens in the weeks before the day it is loaded.

Why re-dated rather than a demo clock: the tracker's clock stays true for everything that
reads the same data (the API, calendar feeds, e-mails, Redmine or any other tool run beside
it), and there is no special time mode that could reach a production deployment. The story
is shifted by a whole number of weeks, so every event keeps its weekday; its "today" (Wednesday
24/05/2017, the day after its last events) falls in the week ending on the day of loading.
Deadlines that land on a day off move to the next working day, and the notices' texts are
written from the shifted dates, so a notice says what its tasks' deadlines say. See
docs/reports.md ("The demo").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from flask import Flask, current_app

from tracker.auth.models import Role, User
from tracker.auth.operations import create_user
from tracker.core.time import local_zone, now_utc, today_local
from tracker.extensions import db
from tracker.meetings.operations import save_meeting
from tracker.subtasks import operations as subtask_ops
from tracker.tasks import extensions
from tracker.tasks import operations as task_ops
from tracker.tasks.models import Task
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

# The notice as it was issued in April 2017 (the browser test replays that spring with its own
# clock and pastes it into the notice reader); the demo loads it re-dated (`notice_45`).
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

# The story's own "today": its last events are on Monday 22 and Tuesday 23 May 2017.
STORY_TODAY = date(2017, 5, 24)


@dataclass(frozen=True)
class Story:
    """Where the story is placed: its days moved by `offset` (whole weeks), so that its
    "today" is the last day on or before `today` with the same weekday."""

    today: date
    offset: timedelta

    @classmethod
    def ending(cls, today: date) -> Story:
        """The story placed in the week ending on `today`."""
        return cls(today, timedelta(weeks=(today - STORY_TODAY).days // 7))

    def day(self, story_day: date) -> date:
        """A day of the story, moved."""
        return story_day + self.offset

    def deadline(self, story_day: date) -> date:
        """A deadline of the story, moved, and on the next working day when it lands on a day
        off (Bộ luật Dân sự, Điều 148)."""
        from tracker.calendar.operations import working_calendar

        return working_calendar().next_working_day(self.day(story_day))

    def at(self, story_day: date, hour: int = 9, minute: int = 0) -> datetime:
        """A local hour of a day of the story, moved, as an aware UTC datetime."""
        local = datetime.combine(self.day(story_day), time(hour, minute), tzinfo=local_zone())
        return local.astimezone(UTC)


def _dmy(day: date) -> str:
    """ "20/04/2017"."""
    return f"{day:%d/%m/%Y}"


def _long_date(day: date) -> str:
    """ "ngày 05 tháng 4 năm 2017", as a notice is dated."""
    return f"ngày {day:%d} tháng {day.month} năm {day.year}"


def _school_year(day: date) -> str:
    """The school year that starts next (in September): "2017-2018" in April 2017."""
    first = day.year if day.month <= 8 else day.year + 1
    return f"{first}-{first + 1}"


def notice_45(story: Story) -> tuple[str, dict[str, date]]:
    """Notice 45/TB-UBND as re-dated by `story`, and the deadlines it gives, by task key.

    The wording is the 2017 notice's (NOTICE_45) where it stays true on any date; periods
    that would not ("trong quý II/2017", "trong tháng 6/2017", "năm 2017") are written as
    the explicit dates they meant."""
    held, issued = story.day(date(2017, 4, 4)), story.day(date(2017, 4, 5))
    deadlines = {
        "communes": story.deadline(date(2017, 6, 30)),
        "plan": story.deadline(date(2017, 4, 20)),
        "inspect": story.deadline(date(2017, 6, 30)),
        "budget": story.deadline(date(2017, 5, 15)),
        "it": story.deadline(date(2017, 6, 30)),
        "procedures": story.deadline(date(2017, 4, 30)),
    }
    d = {key: _dmy(day) for key, day in deadlines.items()}
    text = f"""ỦY BAN NHÂN DÂN HUYỆN VÂN HỒ
Số: 45/TB-UBND
CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM
Độc lập - Tự do - Hạnh phúc
Vân Hồ, {_long_date(issued)}

THÔNG BÁO
Kết luận của đồng chí Chủ tịch UBND huyện tại Hội nghị đánh giá công tác cải cách \
hành chính, triển khai nhiệm vụ trọng tâm thời gian tới

Ngày {_dmy(held)}, đồng chí Nguyễn Huy Anh, Chủ tịch UBND huyện chủ trì Hội nghị đánh giá \
công tác cải cách hành chính, triển khai nhiệm vụ trọng tâm thời gian tới. Theo kết quả công \
bố gần nhất, chỉ số cải cách hành chính của huyện đạt 88,78 điểm, xếp thứ 9/12 huyện, thành \
phố. Sau khi nghe báo cáo và ý kiến của các đại biểu, đồng chí Chủ tịch UBND huyện kết luận \
như sau:

1. Yêu cầu UBND các xã tập trung cao cho công tác cải cách hành chính; tiếp tục thực hiện \
nghiêm túc kỷ luật, kỷ cương hành chính, bố trí cán bộ làm công tác cải cách hành chính; \
báo cáo kết quả trước ngày {d["communes"]}.

2. Giao Phòng Nội vụ chủ trì, phối hợp với Văn phòng HĐND và UBND huyện, Phòng Tài chính - \
Kế hoạch, Phòng Tư pháp xây dựng kế hoạch phát huy ưu điểm, khắc phục những tồn tại, hạn chế \
trong công tác cải cách hành chính thời gian qua, trình UBND huyện trước ngày {d["plan"]}.

3. Giao Phòng Nội vụ chủ trì, phối hợp với Thanh tra huyện tổ chức kiểm tra công vụ tại các \
cơ quan, đơn vị và UBND các xã; báo cáo kết quả trước ngày {d["inspect"]}.

4. Giao Phòng Tài chính - Kế hoạch chủ trì, phối hợp với Phòng Nội vụ tham mưu bố trí kinh phí \
bảo đảm cơ sở vật chất phục vụ công tác cải cách hành chính, đặc biệt đối với cấp xã; hoàn \
thành trước ngày {d["budget"]}.

5. Giao Văn phòng HĐND và UBND huyện chủ trì, phối hợp với Phòng Văn hóa và Thông tin đẩy mạnh \
ứng dụng công nghệ thông tin, đưa hệ thống quản lý văn bản và điều hành vào sử dụng tại các \
phòng chuyên môn; hoàn thành trước ngày {d["it"]}.

6. Giao Phòng Tư pháp rà soát, công khai đầy đủ thủ tục hành chính tại bộ phận tiếp nhận và \
trả kết quả của huyện và các xã trước ngày {d["procedures"]}.

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
    return text.replace("\\\n", ""), deadlines


def _item(number: int, text: str) -> str:
    """The numbered conclusion `number` of a notice text (one paragraph)."""
    return text.split(f"\n{number}. ", 1)[1].split("\n\n", 1)[0].strip()


def _conclusions(
    heading: str, issued: date, held: date, chair: str, meeting: str, lines: list[str]
) -> str:
    """A conclusion notice made of numbered lines, dated `issued`."""
    items = "\n\n".join(f"{n}. {line}" for n, line in enumerate(lines, start=1))
    return f"""ỦY BAN NHÂN DÂN HUYỆN VÂN HỒ
{heading}
CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM
Độc lập - Tự do - Hạnh phúc
Vân Hồ, {_long_date(issued)}

THÔNG BÁO
Kết luận của đồng chí {chair} tại {meeting}

Ngày {_dmy(held)}, đồng chí {chair} chủ trì {meeting}. Sau khi nghe báo cáo và ý kiến của \
các đại biểu, đồng chí {chair} kết luận như sau:

{items}

Nơi nhận:
- Các phòng, ban, đơn vị thuộc UBND huyện;
- Lưu: VT.
""".replace("\\\n", "")


# The meeting of 11 April (giao ban): lead, content, story deadline (None: thường xuyên),
# coordinating units. "Đề nghị" for the bodies outside the district's hierarchy.
GIAO_BAN: list[tuple[str, Callable[[Story], str], date | None, list[str]]] = [
    (
        "Phòng Kinh tế và Hạ tầng",
        lambda s: "Kiểm tra, đôn đốc tiến độ các công trình giao thông nông thôn",
        date(2017, 5, 31),
        ["UBND xã Vân Hồ"],
    ),
    (
        "Phòng Tài nguyên và Môi trường",
        lambda s: "Rà soát, xử lý các trường hợp vi phạm về đất đai dọc Quốc lộ 6",
        date(2017, 6, 15),
        ["UBND xã Chiềng Yên"],
    ),
    (
        "Phòng Lao động - Thương binh và Xã hội",
        lambda s: f"Rà soát hộ nghèo, cận nghèo phát sinh năm {s.day(date(2017, 4, 12)).year}",
        date(2017, 6, 30),
        [],
    ),
    (
        "Phòng Giáo dục và Đào tạo",
        lambda s: f"Xây dựng kế hoạch tuyển sinh năm học {_school_year(s.day(date(2017, 4, 12)))}",
        date(2017, 5, 30),
        ["Phòng Nội vụ"],
    ),
    (
        "Phòng Y tế",
        lambda s: "Triển khai các biện pháp phòng, chống dịch bệnh trên địa bàn huyện",
        date(2017, 4, 28),
        ["UBND xã Tô Múa"],
    ),
    (
        "Phòng Nông nghiệp và Phát triển nông thôn",
        lambda s: "Chỉ đạo sản xuất nông nghiệp, phòng chống dịch bệnh trên cây trồng, vật nuôi",
        date(2017, 5, 15),
        [],
    ),
    (
        "Phòng Dân tộc",
        lambda s: "Tổng hợp kết quả thực hiện chính sách hỗ trợ đồng bào dân tộc thiểu số",
        date(2017, 6, 20),
        [],
    ),
    (
        "Thanh tra huyện",
        lambda s: "Giải quyết dứt điểm các đơn thư tồn đọng",
        date(2017, 5, 10),
        ["Phòng Tư pháp"],
    ),
    (
        "Công an huyện",
        lambda s: "Bảo đảm an ninh trật tự, an toàn giao thông trên địa bàn huyện",
        date(2017, 5, 2),
        ["Ban Chỉ huy Quân sự huyện"],
    ),
    (
        "Chi cục Thuế huyện",
        lambda s: "Đôn đốc thu nộp ngân sách nhà nước, bảo đảm tiến độ dự toán được giao",
        date(2017, 6, 30),
        ["Phòng Tài chính - Kế hoạch"],
    ),
    (
        "Ủy ban Mặt trận Tổ quốc huyện",
        lambda s: "Vận động nhân dân tham gia xây dựng nông thôn mới",
        None,
        [],
    ),
    (
        "Ban Chỉ huy Quân sự huyện",
        lambda s: f"Tổ chức huấn luyện dân quân tự vệ năm {s.day(date(2017, 4, 12)).year}",
        date(2017, 6, 30),
        [],
    ),
]

OUTSIDE = {name for name, _short, kind, _aliases in UNITS if kind == UnitKind.OTHER} | {
    "Đài Truyền thanh - Truyền hình huyện"
}


def _sentence(lead: str, content: str, deadline: date | None, coordinating: list[str]) -> str:
    """ "Giao X chủ trì, phối hợp với Y lowercase-content; hoàn thành trước ngày D." """
    verb = "Đề nghị" if lead in OUTSIDE else "Giao"
    with_whom = f" chủ trì, phối hợp với {', '.join(coordinating)}" if coordinating else ""
    when = f"hoàn thành trước ngày {_dmy(deadline)}" if deadline else "thực hiện thường xuyên"
    return f"{verb} {lead}{with_whom} {content[0].lower()}{content[1:]}; {when}."


def database_is_empty() -> bool:
    """True when the database holds no units, users or meetings."""
    return db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0 and (
        db.session.scalar(sa.select(sa.func.count()).select_from(Unit)) == 0
    )


def load_demo(today: date | None = None) -> list[tuple[str, str, str]]:
    """Load the demo with its story in the weeks before `today` (default: the real today);
    returns (username, role, unit) of the demo logins. Loading at a given `today` is
    deterministic: the same tasks, dates and history every time."""
    app = current_app
    saved_now = app.config.get("TRACKER_FIXED_NOW")
    now = now_utc()
    if today is not None and today != now.astimezone(local_zone()).date():
        now = datetime.combine(today, time(10), tzinfo=local_zone()).astimezone(UTC)
    try:
        return _load(app, Story.ending(now.astimezone(local_zone()).date()), now)
    finally:
        app.config["TRACKER_FIXED_NOW"] = saved_now


class _Reminders:
    """The mornings of a tracker that ran through the story: each working morning's
    reminders planned by the real planner at the digest time, and recorded as sent then.
    So the scheduler's first pass after loading sends only what is due that day (a handful),
    not every reminder whose moment passed during the story."""

    def __init__(self, config: Any, first: date, today: date) -> None:
        from tracker.reminders.operations.rules import load_rules

        self.config = config
        self.next = first
        self.today = today
        self.rules = load_rules()

    def until(self, moment: datetime) -> None:
        """Run the mornings whose digest time is at or before `moment`, before today."""
        from tracker.calendar.operations import working_calendar
        from tracker.reminders.operations.planning import plan
        from tracker.reminders.passes import make_clock

        calendar = working_calendar()
        saved = self.config["TRACKER_FIXED_NOW"]
        while self.next < self.today:
            probe = make_clock(moment, self.rules)
            slot = probe.slot(self.next)
            if slot > moment:
                break
            if calendar.is_working_day(self.next):
                clock = make_clock(slot, self.rules)
                self.config["TRACKER_FIXED_NOW"] = slot
                plan(clock, self.rules)
                self._sent(slot)
            self.next += timedelta(days=1)
        self.config["TRACKER_FIXED_NOW"] = saved

    @staticmethod
    def _sent(moment: datetime) -> None:
        from tracker.reminders.models import Delivery, DeliveryStatus

        D = Delivery.__table__
        db.session.execute(
            sa.update(D)
            .where(D.c.status == DeliveryStatus.PENDING.value)
            .values(
                status=DeliveryStatus.SENT.value,
                sent_dt=sa.literal(moment, Delivery.sent_dt.type),
                attempts=1,
            )
        )

    def finish(self, now: datetime) -> None:
        """The mornings up to yesterday; the history's events are history, not news; what
        was sent more than three days ago has been read."""
        from tracker.reminders.models import Delivery, ReminderState
        from tracker.reminders.operations.planning import STATE_ID, reminder_state
        from tracker.tasks.models import TaskEvent

        self.until(now)
        reminder_state()
        last_event = db.session.scalar(sa.select(sa.func.max(TaskEvent.id))) or 0
        db.session.execute(
            sa.update(ReminderState)
            .where(ReminderState.id == STATE_ID)
            .values(last_event_id=last_event)
        )
        D = Delivery.__table__
        db.session.execute(
            sa.update(D).where(D.c.day < self.today - timedelta(days=3)).values(read_dt=D.c.sent_dt)
        )


def _load(app: Flask, story: Story, now: datetime) -> list[tuple[str, str, str]]:
    config = app.config
    s = story
    reminders = _Reminders(config, s.day(date(2017, 4, 5)), story.today)

    def at(story_day: date, hour: int = 9) -> None:
        moment = s.at(story_day, hour)
        reminders.until(moment)
        config["TRACKER_FIXED_NOW"] = moment

    at(date(2017, 3, 1))
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
    # The hand-down (tracker/subtasks): the head of Phòng Nội vụ gives parts to two officers.
    head_nv = user("truongnoivu", "Lù Văn Minh", Role.UNIT_HEAD, "Phòng Nội vụ")
    canbo1 = user("canbo1", "Quàng Thị Hương", Role.UNIT, "Phòng Nội vụ")
    canbo2 = user("canbo2", "Vì Văn Khánh", Role.UNIT, "Phòng Nội vụ")
    tckh = user("tckh", "Vì Văn Quang", Role.UNIT, "Phòng Tài chính - Kế hoạch")
    tuphap = user("tuphap", "Lường Thị Mai", Role.UNIT, "Phòng Tư pháp")
    user("vhtt", "Mùa A Chứ", Role.UNIT, "Phòng Văn hóa và Thông tin")
    kthatang = user("kthatang", "Đinh Công Sơn", Role.UNIT, "Phòng Kinh tế và Hạ tầng")
    tnmt = user("tnmt", "Lò Văn Tiến", Role.UNIT, "Phòng Tài nguyên và Môi trường")
    nongnghiep = user(
        "nongnghiep", "Hoàng Văn Dũng", Role.UNIT, "Phòng Nông nghiệp và Phát triển nông thôn"
    )
    thanhtra = user("thanhtra", "Cầm Thị Thu", Role.UNIT, "Thanh tra huyện")
    xavanho = user("xavanho", "Mùa A Dế", Role.UNIT, "UBND xã Vân Hồ")
    xachiengkhoa = user("xachiengkhoa", "Lò Thị Xuân", Role.UNIT, "UBND xã Chiềng Khoa")

    office_units = [
        units[n] for n in ("Phòng Nội vụ", "Phòng Tài chính - Kế hoạch", "Phòng Tư pháp")
    ]
    communes = [units[f"UBND xã {c}"] for c in COMMUNES]
    nv, tc, tp, vp, vh, tt = (
        units["Phòng Nội vụ"],
        units["Phòng Tài chính - Kế hoạch"],
        units["Phòng Tư pháp"],
        units["Văn phòng HĐND và UBND huyện"],
        units["Phòng Văn hóa và Thông tin"],
        units["Thanh tra huyện"],
    )

    # Tuesday 4 April: the conference on administrative reform; its notice the next day.
    at(date(2017, 4, 5), 14)
    text_45, deadlines = notice_45(s)
    cchc = save_meeting(
        None,
        actor=clerk,
        title="Hội nghị đánh giá công tác cải cách hành chính, triển khai nhiệm vụ trọng tâm "
        "thời gian tới",
        held_on=s.day(date(2017, 4, 4)),
        place="Hội trường UBND huyện Vân Hồ",
        chair=chair,
        attending_units=[*units.values()],
        notice_number="45/TB-UBND",
        notice_issued_on=s.day(date(2017, 4, 5)),
        notice_signer="Lò Văn Hùng (TL. Chủ tịch, Chánh Văn phòng)",
        notice_text=text_45,
    )
    t_plan = task_ops.create_task(
        cchc,
        actor=clerk,
        content=(
            "Xây dựng kế hoạch phát huy ưu điểm, khắc phục những tồn tại, hạn chế trong công tác "
            "cải cách hành chính thời gian qua, trình UBND huyện"
        ),
        lead_unit=nv,
        coordinating_units=[vp, tc, tp],
        responsible=noivu,
        deadline=deadlines["plan"],
        source_text=_item(2, text_45),
    )
    t_inspect = task_ops.create_task(
        cchc,
        actor=clerk,
        content="Tổ chức kiểm tra công vụ tại các cơ quan, đơn vị và UBND các xã; báo cáo kết quả",
        lead_unit=nv,
        coordinating_units=[tt],
        deadline=deadlines["inspect"],
        source_text=_item(3, text_45),
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
        deadline=deadlines["budget"],
        source_text=_item(4, text_45),
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
        deadline=deadlines["it"],
        source_text=_item(5, text_45),
    )
    t_tthc = task_ops.create_task(
        cchc,
        actor=clerk,
        content=(
            "Rà soát, công khai đầy đủ thủ tục hành chính tại bộ phận tiếp nhận và trả kết quả "
            "của huyện và các xã"
        ),
        lead_unit=tp,
        deadline=deadlines["procedures"],
        source_text=_item(6, text_45),
    )
    task_ops.create_task(
        cchc,
        actor=clerk,
        content="Tuyên truyền về công tác cải cách hành chính trên các phương tiện thông tin đại chúng",
        lead_unit=vh,
        coordinating_units=[units["Đài Truyền thanh - Truyền hình huyện"]],
        is_recurring=True,
        source_text=_item(7, text_45),
    )
    commune_tasks = {
        commune.name: task_ops.create_task(
            cchc,
            actor=clerk,
            content=(
                "Tập trung cao cho công tác cải cách hành chính; thực hiện nghiêm kỷ luật, kỷ "
                "cương hành chính, bố trí cán bộ làm công tác cải cách hành chính"
            ),
            lead_unit=commune,
            deadline=deadlines["communes"],
            source_text=_item(1, text_45),
        )
        for commune in communes
    }

    at(date(2017, 4, 10))
    task_ops.post_progress(
        t_plan,
        actor=noivu,
        note="Đã xây dựng dự thảo kế hoạch, đang lấy ý kiến các phòng.",
        progress=50,
    )

    # Tuesday 11 April: the monthly meeting (giao ban); its notice the next day.
    at(date(2017, 4, 12))
    parts = _hand_down(s, t_inspect, head_nv, canbo1, canbo2)
    held = s.day(date(2017, 4, 11))
    planned = [
        (lead, make(s), s.deadline(deadline) if deadline else None, coordinating)
        for lead, make, deadline, coordinating in GIAO_BAN
    ]
    month_meeting = f"cuộc họp giao ban UBND huyện tháng {held.month} năm {held.year}"
    lines = [_sentence(*spec) for spec in planned]
    giaoban = save_meeting(
        None,
        actor=clerk,
        title=f"Họp giao ban UBND huyện tháng {held.month} năm {held.year}",
        held_on=held,
        place="Phòng họp UBND huyện",
        chair=chair,
        attending_units=office_units,
        notice_number="52/TB-UBND",
        notice_issued_on=s.day(date(2017, 4, 12)),
        notice_signer="Lò Văn Hùng",
        notice_text=_conclusions(
            "Số: 52/TB-UBND",
            s.day(date(2017, 4, 12)),
            held,
            "Nguyễn Huy Anh, Chủ tịch UBND huyện",
            month_meeting,
            lines,
        ),
    )
    by_lead: dict[str, Task] = {}
    for (lead, content, deadline, coordinating), line in zip(planned, lines, strict=True):
        by_lead[lead] = task_ops.create_task(
            giaoban,
            actor=clerk,
            content=content,
            lead_unit=units[lead],
            coordinating_units=[units[c] for c in coordinating],
            deadline=deadline,
            is_recurring=deadline is None,
            source_text=line,
        )

    at(date(2017, 4, 18))
    # Phòng Nội vụ coordinates the enrolment plan (phối hợp): its head gives the unit's own
    # contribution to an officer; it stays under Phòng Nội vụ, out of the lead unit's roll-up.
    staffing = subtask_ops.create_subtask(
        by_lead["Phòng Giáo dục và Đào tạo"],
        actor=head_nv,
        content="Rà soát biên chế giáo viên, đề xuất số lượng cần bổ sung cho năm học mới",
        deadline=s.deadline(date(2017, 5, 19)),
        today=today_local(),
        assignee=canbo2,
    )
    task_ops.post_progress(
        t_plan,
        actor=noivu,
        note=f"Đã trình Kế hoạch số 62/KH-UBND ngày {_dmy(s.day(date(2017, 4, 18)))}.",
        status="submitted",
    )
    at(date(2017, 4, 19), 15)
    task_ops.change_status(t_plan, actor=chair, transition_name="confirm")
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

    # Monday 8 May: Thanh tra asks for three more weeks, and gets them the next day.
    at(date(2017, 5, 8))
    request = extensions.request_extension(
        by_lead["Thanh tra huyện"],
        actor=thanhtra,
        new_deadline=s.deadline(date(2017, 5, 31)),
        reason="Còn 3 đơn thư phải xác minh thực địa tại xã Mường Men.",
    )
    # Monday 8 May: the conference on natural disasters, chaired by the vice-chair.
    at(date(2017, 5, 9))
    extensions.decide_extension(
        request, actor=chair, approve=True, comment="Đồng ý, đề nghị hoàn thành đúng hạn mới."
    )
    held = s.day(date(2017, 5, 8))
    disaster = (
        f"Hội nghị triển khai công tác phòng chống thiên tai và tìm kiếm cứu nạn năm {held.year}"
    )
    flood_deadline = s.deadline(date(2017, 6, 15))
    flood_line = (
        "Giao UBND các xã chủ trì, phối hợp với Ban Chỉ huy Quân sự huyện rà soát các điểm có "
        "nguy cơ sạt lở, lũ quét; xây dựng phương án di dời dân; hoàn thành trước ngày "
        f"{_dmy(flood_deadline)}."
    )
    thientai = save_meeting(
        None,
        actor=clerk,
        title=disaster,
        held_on=held,
        place="Hội trường UBND huyện Vân Hồ",
        chair=vice,
        attending_units=communes,
        notice_number="78/TB-UBND",
        notice_issued_on=s.day(date(2017, 5, 9)),
        notice_signer="Đinh Văn Thành",
        notice_text=_conclusions(
            "Số: 78/TB-UBND",
            s.day(date(2017, 5, 9)),
            held,
            "Đinh Văn Thành, Phó Chủ tịch UBND huyện",
            disaster[0].lower() + disaster[1:],
            [flood_line],
        ),
    )
    for commune in communes:
        task_ops.create_task(
            thientai,
            actor=clerk,
            content="Rà soát các điểm có nguy cơ sạt lở, lũ quét; xây dựng phương án di dời dân",
            lead_unit=commune,
            coordinating_units=[units["Ban Chỉ huy Quân sự huyện"]],
            deadline=flood_deadline,
            source_text=flood_line,
        )

    at(date(2017, 5, 12))
    subtask_ops.report_subtask(
        parts[1],
        actor=canbo2,
        note="Đã kiểm tra 5/8 phòng chuyên môn.",
        progress=60,
        done=False,
        today=today_local(),
        seen_version=None,
    )
    at(date(2017, 5, 15))
    subtask_ops.report_subtask(
        parts[0],
        actor=canbo1,
        note="Đã kiểm tra 7 xã khu vực phía Bắc; biên bản kiểm tra từng xã đã lưu hồ sơ.",
        progress=None,
        done=True,
        today=today_local(),
        seen_version=None,
    )
    task_ops.post_progress(t_inspect, actor=noivu, note="Đã kiểm tra 6/14 xã.", progress=40)
    at(date(2017, 5, 16))
    subtask_ops.decide_subtask(
        parts[0], actor=head_nv, decision="confirm", reason="", seen_version=None
    )
    task_ops.post_progress(t_it, actor=clerk, note="Đã cài đặt phần mềm cho 8 phòng.", progress=60)
    at(date(2017, 5, 17))
    chiengkhoa = commune_tasks["UBND xã Chiềng Khoa"]
    task_ops.post_progress(
        chiengkhoa,
        actor=xachiengkhoa,
        note="Đã kiện toàn bộ phận một cửa, công khai thủ tục tại trụ sở xã.",
        status="submitted",
    )
    at(date(2017, 5, 18))
    subtask_ops.report_subtask(
        staffing,
        actor=canbo2,
        note="Đã tổng hợp: cần bổ sung 12 giáo viên mầm non, 7 giáo viên tiểu học.",
        progress=None,
        done=True,
        today=today_local(),
        seen_version=None,
    )
    task_ops.post_progress(
        by_lead["Phòng Tài nguyên và Môi trường"],
        actor=tnmt,
        note="Đã rà soát 18/35 trường hợp dọc Quốc lộ 6.",
        progress=30,
    )
    at(date(2017, 5, 19))
    task_ops.change_status(chiengkhoa, actor=clerk, transition_name="confirm")
    task_ops.post_progress(
        commune_tasks["UBND xã Vân Hồ"],
        actor=xavanho,
        note="Đã họp triển khai tới các bản; đang bố trí cán bộ một cửa.",
        progress=50,
    )
    task_ops.post_progress(
        t_budget, actor=tckh, note="Đã trình phương án bố trí kinh phí.", status="submitted"
    )
    at(date(2017, 5, 22))
    task_ops.change_status(t_budget, actor=vice, transition_name="confirm")
    nn_task = by_lead["Phòng Nông nghiệp và Phát triển nông thôn"]
    extensions.request_extension(
        nn_task,
        actor=nongnghiep,
        new_deadline=s.deadline(date(2017, 6, 15)),
        reason="Chờ kết quả điều tra dịch bệnh trên đàn gia súc của Chi cục Thú y.",
    )
    at(date(2017, 5, 23))
    task_ops.post_progress(
        by_lead["Phòng Kinh tế và Hạ tầng"],
        actor=kthatang,
        note="Đã kiểm tra 12 công trình; 3 công trình chậm tiến độ đã có phương án xử lý.",
        status="submitted",
    )
    db.session.flush()
    reminders.finish(now)
    db.session.flush()
    return logins


def _hand_down(s: Story, task: Task, head: User, first: User, second: User) -> list[Any]:
    """The head of Phòng Nội vụ breaks the inspection down: one part done and confirmed, one
    overdue (the head hears of it), one still to come."""
    today = today_local()
    return [
        subtask_ops.create_subtask(
            task,
            actor=head,
            content="Kiểm tra công vụ tại UBND 7 xã khu vực phía Bắc",
            deadline=s.deadline(date(2017, 5, 31)),
            today=today,
            assignee=first,
        ),
        subtask_ops.create_subtask(
            task,
            actor=head,
            content="Kiểm tra công vụ tại các phòng chuyên môn thuộc UBND huyện",
            deadline=s.deadline(date(2017, 5, 22)),
            today=today,
            assignee=second,
        ),
        subtask_ops.create_subtask(
            task,
            actor=head,
            content="Tổng hợp kết quả kiểm tra, dự thảo báo cáo trình UBND huyện",
            deadline=s.deadline(date(2017, 6, 23)),
            today=today,
            assignee=first,
        ),
    ]


def is_demo_user(user: Any) -> bool:
    """Whether `user` is one of the demo's people: their address is at the demo's domain,
    which the `.example` top-level domain keeps from ever being a real one (RFC 2606). Asked
    of the signed-in user already loaded, so no page makes a query more for it."""
    email = getattr(user, "email", None) if getattr(user, "is_authenticated", False) else None
    return bool(email) and str(email).endswith(f"@{EMAIL_DOMAIN}")


def init_app(app: Flask) -> None:
    """Pages say when they show the demo's data (templates/base.html)."""
    from flask_login import current_user

    @app.context_processor
    def demo_note() -> dict[str, Any]:
        return {"demo_data": is_demo_user(current_user)}
