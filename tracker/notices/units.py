"""Unit names in directives: the gazetteer, list splitting, and matching names to the directory."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

from rapidfuzz import fuzz, process

from tracker.core.text import fold

__all__ = [
    "GroupMatch",
    "Token",
    "UnitMatch",
    "UnitMatcher",
    "UnitSpan",
    "key_of",
    "parse_unit_list",
    "split_units",
    "tokenize",
]

# ---------------------------------------------------------------------------------------------
# Tokens


class Token(NamedTuple):
    """A word or punctuation mark with its offsets; `key` is the lower-cased comparison form.

    A named tuple: a notice of 200 KB has some 50,000 tokens, and a tuple is made several times
    faster than a frozen dataclass."""

    text: str
    start: int
    end: int
    key: str
    is_word: bool
    is_capital: bool


# Words keep inner "-", "/", ".", "&" ("LĐ-TB&XH", "TP.HCM", "05/12/2017") but not trailing ones.
_TOKEN_RE = re.compile(r"\w(?:[\w&]|[.\-/–'](?=\w))*|[^\w\s]")

# Old and new placement of the tone mark on oa/oe/uy ("hoá" / "hóa", "Uỷ" / "Ủy").
_TONE_MOVES = {
    "oà": "òa", "oá": "óa", "oả": "ỏa", "oã": "õa", "oạ": "ọa",
    "oè": "òe", "oé": "óe", "oẻ": "ỏe", "oẽ": "õe", "oẹ": "ọe",
    "uỳ": "ùy", "uý": "úy", "uỷ": "ủy", "uỹ": "ũy", "uỵ": "ụy",
}  # fmt: skip
_TONE_RE = re.compile("|".join(_TONE_MOVES))


@lru_cache(maxsize=65536)
def key_of(word: str) -> str:
    """Comparison form of a word: lower case, NFC, tone marks in the modern place."""
    text = unicodedata.normalize("NFC", word).lower().replace("–", "-")
    # "thuỷ" and "quý" keep their forms in both spellings; only a vowel after the pair moves it.
    return _TONE_RE.sub(lambda m: _TONE_MOVES[m.group(0)], text) if _TONE_RE.search(text) else text


def tokenize(text: str, offset: int = 0) -> list[Token]:
    """Split `text` into tokens whose offsets are relative to `offset`."""
    tokens = []
    for m in _TOKEN_RE.finditer(text):
        word = m.group(0)
        first = word[0]
        tokens.append(
            Token(
                word,
                m.start() + offset,
                m.end() + offset,
                key_of(word),
                first.isalnum(),
                first.isupper(),
            )
        )
    return tokens


class Lexicon:
    """Multi-word phrases matched on token keys, longest first."""

    def __init__(self, phrases: Iterable[str]) -> None:
        self._by_first: dict[str, list[tuple[str, ...]]] = {}
        for phrase in phrases:
            keys = tuple(key_of(t.text) for t in tokenize(phrase))
            if keys:
                self._by_first.setdefault(keys[0], []).append(keys)
        for entries in self._by_first.values():
            entries.sort(key=len, reverse=True)

    def match(self, tokens: Sequence[Token], i: int, end: int | None = None) -> int:
        """Number of tokens of the longest phrase starting at `i` (0 when none)."""
        end = len(tokens) if end is None else end
        if i >= end:
            return 0
        for keys in self._by_first.get(tokens[i].key, ()):
            n = len(keys)
            if i + n <= end and all(tokens[i + k].key == keys[k] for k in range(1, n)):
                return n
        return 0

    def __contains__(self, key: str) -> bool:
        return (key,) in self._by_first.get(key, ())


# ---------------------------------------------------------------------------------------------
# The gazetteer

# Head nouns that open a named unit; written with a capital ("Sở Y tế", "Ban Chỉ huy Quân sự").
NAMED_HEADS = Lexicon(
    """
ủy ban nhân dân|ủy ban mặt trận tổ quốc|ủy ban mttq|ủy ban|ubnd|ubmttq|mttq|mặt trận tổ quốc
hội đồng nhân dân|hđnd|hội đồng|văn phòng|vp|vpubnd|sở|bộ|phòng|ban|bcđ|bql|bqlda|bch|bchqs
ban chỉ huy quân sự|ban chỉ đạo|ban quản lý|công an|trung tâm|ttyt|chi cục|cục|tổng cục|viện
kho bạc|kho bạc nhà nước|kbnn|bảo hiểm xã hội|bhxh|thanh tra|đài|bệnh viện|trường|hội|đoàn
liên đoàn|liên đoàn lao động|huyện đoàn|tỉnh đoàn|thành đoàn|huyện ủy|tỉnh ủy|thành ủy|đảng ủy
ngân hàng|chi nhánh|công ty|tổng công ty|tập đoàn|hạt kiểm lâm|quỹ|tòa án|viện kiểm sát|đội
hiệp hội
trạm|hợp tác xã|điện lực|báo|bộ chỉ huy|cảng vụ|vườn quốc gia|thường trực|tổ công tác|ban qlda
lđlđ|mặt trận|ủy ban kiểm tra|chi đoàn|đồn biên phòng|bộ đội biên phòng|cơ quan thường trực
hạt|công chức|văn phòng đăng ký đất đai|ban quản lý dự án
thuế cơ sở|thuế tỉnh|thuế thành phố
bưu điện|viễn thông
""".replace("\n", "|").split("|")
)

# Generic nouns that name a kind of unit and may be written in lower case ("các sở, ban, ngành").
GENERIC_HEADS = Lexicon(
    """
sở|ban|ngành|phòng|cơ quan|đơn vị|địa phương|xã|huyện|phường|thị trấn|thị xã|thành phố|quận|tỉnh
đặc khu
trường|hội|đoàn thể|tổ chức|doanh nghiệp|bộ|chủ đầu tư|thành viên|phòng ban|ban ngành|nhà trường
cơ sở|tổ chức chính trị - xã hội|hội đoàn thể|ngành chức năng|lực lượng|sở ngành|cơ quan chức năng
thôn|ấp|tổ dân phố|khu phố|thôn, bản
cấp|cấp ủy|cấp uỷ|chính quyền|chính quyền địa phương
liên danh
""".replace("\n", "|").split("|")
)

# Generic nouns that may stand alone in lower case, without "các" ("đơn vị tư vấn").
_BARE_GENERIC = {
    "đơn vị",
    "cơ quan",
    "chủ đầu tư",
    "địa phương",
    "ngành",
    "xã",
    "huyện",
    "phường",
    "đặc khu",
    "liên danh",  # "liên danh nhà thầu thi công": a joint venture of contractors
}

# Kinds of place that name a unit in lower case only before a proper name ("thị xã Long Mỹ").
_NAMED_PLACE_KINDS = {"thị xã", "thị trấn", "quận", "thành phố"}

# Generic nouns that name a unit even alone and capitalised, at the start of a sentence or
# after a trigger ("đề nghị Chủ đầu tư khẩn trương ..."); "Sở" or "Xã" alone do not.
_CAPITAL_BARE = {"chủ đầu tư", "đơn vị", "cơ quan", "địa phương"}

# Determiners that make a group ("các xã", "tất cả các đơn vị").
DETERMINERS = Lexicon(
    # ("Quý cơ quan", "Quý Sở": a letter's polite form for the addressee)
    ["các", "những", "mọi", "tất cả các", "toàn bộ các", "toàn thể các", "quý"]
)

# Job titles dropped in front of the unit ("Giám đốc Sở Y tế" is "Sở Y tế").
TITLES = Lexicon(
    """
lãnh đạo|giám đốc|phó giám đốc|chủ tịch|phó chủ tịch|thủ trưởng|trưởng|phó trưởng|chánh
chánh văn phòng|chỉ huy trưởng|hiệu trưởng|bí thư|tổng giám đốc|viện trưởng|cục trưởng
chi cục trưởng|người đứng đầu|chủ nhiệm|giám đốc, thủ trưởng|thủ trưởng, người đứng đầu
""".replace("\n", "|").split("|")
)

# Names that contain "và", "," or a verb and must stay whole after their head noun.
PROTECTED_NAMES = Lexicon(
    """
văn hóa, thể thao và du lịch|văn hóa - thể thao và du lịch|văn hóa, thông tin và thể thao
văn hóa, thể thao và truyền thông|văn hóa - thông tin - thể thao|văn hóa và thể thao
văn hóa - thông tin|văn hóa và thông tin|văn hóa, thông tin|văn hóa - thể thao|văn hóa thông tin
kế hoạch và đầu tư|tài nguyên và môi trường|tài chính - kế hoạch|tài chính kế hoạch
kinh tế và hạ tầng|kinh tế - hạ tầng|kinh tế hạ tầng|lao động - thương binh và xã hội
lao động, thương binh và xã hội|lao động thương binh và xã hội|giáo dục và đào tạo
nông nghiệp và phát triển nông thôn|nông nghiệp và ptnt|nông nghiệp và môi trường
khoa học và công nghệ|thông tin và truyền thông|giao thông vận tải|giao thông - vận tải
xây dựng|quản lý đô thị|quản lý dự án|quản lý dự án đầu tư xây dựng|phát triển quỹ đất
hđnd và ubnd|hội đồng nhân dân và ủy ban nhân dân|đăng ký đất đai|kinh tế|tổ chức|chỉ đạo
chỉ huy quân sự|dân vận|tuyên giáo|kiểm tra|thi đua - khen thưởng|tiếp công dân
bồi thường, hỗ trợ và tái định cư|bồi thường, giải phóng mặt bằng|giải phóng mặt bằng
phòng, chống thiên tai và tìm kiếm cứu nạn|phòng, chống thiên tai|dịch vụ công ích
phát thanh - truyền hình|truyền thanh - truyền hình|văn hóa - thể thao và truyền thông
nội vụ|tư pháp|y tế|công thương|tài chính|dân tộc|ngoại vụ|kế hoạch - tài chính
""".replace("\n", "|").split("|")
)

# Person markers: a sentence whose subject is a person names no unit.
PERSONS = Lexicon(["ông", "bà", "đồng chí", "đ/c", "các đồng chí", "anh", "chị", "cán bộ"])

# Words that belong to a unit name although they are lower case.
_NAME_WORDS = Lexicon(
    """
liên quan|có liên quan|thuộc|trực thuộc|chuyên môn|chuyên ngành|huyện|tỉnh|xã|thị xã|thị trấn
thành phố|phường|quận|các|và|tư vấn|thuộc tỉnh|thuộc huyện|trên địa bàn|cấp|nhà nước|chức năng
có dự án|có dự án đi qua|có công trình đi qua|có rừng|có biển
""".replace("\n", "|").split("|")
)


# Lower-case compounds that contain a verb but belong to a unit name ("Ban Quản lý dự án đầu tư
# xây dựng tỉnh", "các cơ sở khám bệnh, chữa bệnh"); read before the verb test.
NAME_COMPOUNDS = Lexicon(
    """
dự án đầu tư xây dựng|đầu tư xây dựng|dự án đầu tư|khám bệnh, chữa bệnh|khám, chữa bệnh
khám chữa bệnh|phòng cháy, chữa cháy|phòng cháy chữa cháy|phòng cháy, chữa cháy và cứu nạn, cứu hộ
cứu nạn, cứu hộ|cứu hộ, cứu nạn|phát triển quỹ đất|giáo dục nghề nghiệp|giáo dục thường xuyên
xúc tiến đầu tư|xúc tiến thương mại|quản lý thị trường|quản lý trật tự đô thị|trật tự đô thị
dịch vụ công|trợ giúp pháp lý|kiểm soát bệnh tật|bảo vệ rừng|bảo vệ thực vật|quản lý giao thông
quản lý, khai thác công trình thủy lợi|khai thác công trình thủy lợi|quản lý đường bộ
giải phóng mặt bằng|bồi thường, giải phóng mặt bằng|phát triển nông thôn|phát triển cụm công nghiệp
công lập|ngoài công lập|giao thông|giao thông vận tải|tín dụng|cung cấp nước sạch|cấp nước
thoát nước|chiếu sáng|môi trường đô thị|quản lý chợ|dịch vụ tổng hợp
chương trình|các chương trình|chương trình mục tiêu quốc gia|các chương trình mục tiêu quốc gia
công trình|các công trình|công trình dân dụng và công nghiệp|dân dụng và công nghiệp
các công trình dân dụng và công nghiệp|công trình giao thông|các công trình giao thông
phòng chống thiên tai|phòng, chống thiên tai|phòng chống thiên tai và tìm kiếm cứu nạn
nhà thầu thi công|nhà thầu
rừng phòng hộ|rừng đặc dụng|rừng phòng hộ, đặc dụng|rừng đặc dụng, phòng hộ|rừng phòng hộ và đặc dụng
""".replace("\n", "|").split("|")
)

# Words that name where a unit is; they continue a name even when they could be read as a verb
# ("UBND thành phố", where "thành" is also a verb).
_PLACE_WORDS = Lexicon(
    [
        "thành phố",
        "thị xã",
        "thị trấn",
        "huyện",
        "tỉnh",
        "xã",
        "phường",
        "đặc khu",
        "quận",
        "cấp huyện",
        "cấp tỉnh",
        "cấp xã",
        "thành phố trực thuộc",
        "thuộc thành phố",
        "thuộc huyện",
        "thuộc tỉnh",
    ]
)


def _lexicon_lines(text: str) -> list[str]:
    return [p.strip() for p in text.replace("\n", "|").split("|") if p.strip()]


# Action verbs and modals: the first of them ends the unit names and starts the work.
VERBS = Lexicon(
    [
        *_lexicon_lines("""
kiểm tra|rà soát|rà|báo cáo|tham mưu|xây dựng|triển khai|tổ chức|thực hiện|hoàn thành|hoàn thiện
hoàn tất|hoàn chỉnh|chỉ đạo|đôn đốc|hướng dẫn|tuyên truyền|phối hợp|tập trung|đẩy nhanh|giải quyết
giải trình|tổng hợp|trình|gửi|lập|phê duyệt|thẩm định|thẩm tra|đề xuất|chuẩn bị|bố trí|sắp xếp
thành lập|ban hành|cung cấp|điều chỉnh|bổ sung|theo dõi|quản lý|nghiên cứu|tiếp thu|tiếp nhận
chịu trách nhiệm|có trách nhiệm|chủ trì|khẩn trương|tiếp tục|chủ động|cần|phải|sớm|nên|được giao
đánh giá|xác định|xác minh|xử lý|khắc phục|tăng cường|nâng cao|đảm bảo|bảo đảm|duy trì|củng cố
vận động|khuyến khích|hỗ trợ|phân bổ|cân đối|thanh toán|giải ngân|quyết toán|thu hồi|cấp|cấp phát|kêu gọi|sơ tán|di dời
lựa chọn|khảo sát|đo đạc|kê khai|thống kê|cập nhật|công khai|niêm yết|phổ biến|quán triệt
thông báo|trả lời|làm việc|làm rõ|góp ý|tham gia|dự thảo|soạn thảo|sửa đổi|thay đổi|phân công
rút kinh nghiệm|nghiêm túc|kịp thời|ngăn chặn|phòng, chống|phòng chống|chấn chỉnh|tháo gỡ
vận hành|sửa chữa|nạo vét|di dời|giải phóng|bàn giao|nộp|đăng ký|liên hệ|tạm dừng|đình chỉ
xử phạt|cưỡng chế|tuần tra|kiểm soát|giám sát|kiểm kê|sơ kết|tổng kết|kiểm định|tập huấn
bồi dưỡng|đào tạo|tuyển dụng|tuyển sinh|cử|điều động|huy động|sử dụng|mua sắm|lắp đặt|thi công
nghiệm thu|chăm lo|thăm hỏi|chi trả|cứu trợ|ứng phó|đối thoại|bảo vệ|bảo quản|tu sửa|cải tạo
nâng cấp|chỉnh trang|dọn dẹp|thu gom|điều tra|nắm bắt|lấy ý kiến|thu thập|công bố|kiện toàn
sáp nhập|chuyển giao|phúc đáp|lưu ý|quan tâm|chú trọng|ưu tiên|phát huy|phát động|đẩy mạnh
làm tốt|thúc đẩy|kiến nghị|xin ý kiến|mời|tham dự|xem xét|tìm hiểu|trực|sẵn sàng|khai thác
tiến hành|ra soát|tích cực|quyết liệt|nghiêm|giải phóng mặt bằng|tháo dỡ|hoàn trả|thẩm định
bàn bạc|thống nhất|làm|là|đã|đang|sẽ|vừa|chưa|được|có ý kiến|thành|tạo điều kiện|chủ trương
kết luận|như sau|cho biết|nhấn mạnh|lưu ý|phát biểu|thường xuyên|đưa|đưa tin|tự|phun|tiêm
tiêm chủng|di chuyển|vệ sinh|đầu tư|cho vay|hướng|chăm sóc|cảnh báo|khôi phục|ra quân|thu dọn
khơi thông|tiếp cận|trích|cùng
chỉnh sửa|phân loại|ký|giao|yêu cầu|đề nghị|gặp|tiếp xúc|biên soạn|in|phát hành|tiếp|lắng nghe
đồng ý|nhất trí|chấp thuận|cho phép|quyết định
tăng|giảm|kiên quyết|giữ vững|nắm chắc|rút ngắn|mở rộng|hạn chế|phát hiện|ngăn ngừa|bám sát
siết chặt|xúc tiến|đề ra|tạm ứng|hoàn thành dứt điểm|dứt điểm
"""),
        "theo",
        "trên cơ sở",
        "căn cứ",
        "để",
        "nhằm",
        "về việc",
        "tại",
        "đối với",
        "trong",
        "từ",
        "khi",
    ]
)

# Verbs after which the unit is the issuer, not the lead ("UBND tỉnh giao ...").
TRIGGERS = Lexicon(
    _lexicon_lines("""
giao|giao cho|giao nhiệm vụ cho|giao trách nhiệm cho|giao nhiệm vụ|yêu cầu|đề nghị|chỉ đạo
phân công|phân công cho|nhất trí giao|thống nhất giao|yêu cầu cho|giao trách nhiệm
giao đích danh|giao đích danh cho|đề nghị cho|giao cụ thể cho|giao cụ thể|lưu ý
""")
)

# ---------------------------------------------------------------------------------------------
# Unit lists


@dataclass
class UnitSpan:
    """A unit as written (job title dropped), with the token range it covers."""

    text: str
    first: int  # token index of the unit's head (or determiner)
    last: int  # token index after the unit
    is_group: bool = False
    head: str = ""  # the head noun as written ("sở", "UBND")
    distributive: bool = False  # "các sở QHKT, Xây dựng": the head is shared by the next names
    cut: bool = False  # no word ended the name: it was cut after its capitalised words
    role: str = ""  # "coordinating" for "Sở Tài chính (phối hợp)"


def _is_lower_word(token: Token) -> bool:
    return token.is_word and not token.text[0].isupper()


def is_verb_at(tokens: Sequence[Token], i: int, end: int, allow_capital: bool = False) -> int:
    """Length of the verb phrase starting at `i`, or 0. Capitalised words are names, not verbs."""
    if i >= end or not tokens[i].is_word:
        return 0
    if tokens[i].text[0].isupper() and not allow_capital:
        return 0
    return VERBS.match(tokens, i, end)


def _head_at(tokens: Sequence[Token], i: int, end: int, after_title: bool) -> tuple[int, bool]:
    """(length, is_generic) of a head noun at `i`, or (0, False)."""
    if i >= end or not tokens[i].is_word:
        return 0, False
    token = tokens[i]
    if (
        token.key == "tổ"
        and i + 1 < end
        and tokens[i + 1].is_capital
        and tokens[i + 1].key not in {"chức", "dân"}
    ):
        return 1, False  # "Tổ Địa chính", "tổ Kiểm tra" (but "Tổ chức ..." is a verb)
    n = NAMED_HEADS.match(tokens, i, end)
    capital = token.text[0].isupper()
    if n and (capital or after_title):
        # "Hội nghị", "Hội thảo" are meetings; "Đoàn" before a lower-case verb is not a unit.
        if token.key == "hội" and i + 1 < end and tokens[i + 1].key in {"nghị", "thảo", "nghi"}:
            return 0, False
        if token.key == "báo" and i + 1 < end and tokens[i + 1].key in {"cáo", "chí"}:
            return 0, False
        if token.key == "bộ" and i + 1 < end and tokens[i + 1].key in {"luật", "phận", "máy"}:
            return 0, False
        return n, False
    g = GENERIC_HEADS.match(tokens, i, end)
    if g and capital and not after_title and token.key == "tổ" and tokens[i + 1].key == "chức":
        return 0, False  # "Tổ chức các đoàn kiểm tra ..." opens with the verb, not a unit
    if g and (capital or after_title):
        return g, True
    return 0, False


def _generic_lower_at(tokens: Sequence[Token], i: int, end: int) -> int:
    if i >= end or not _is_lower_word(tokens[i]):
        return 0
    return GENERIC_HEADS.match(tokens, i, end)


def _name_word(tokens: Sequence[Token], k: int, end: int) -> bool:
    """A capitalised word that can continue a name: not a head, title or person."""
    return (
        k < end
        and tokens[k].is_word
        and tokens[k].is_capital
        and not _head_at(tokens, k, end, False)[0]
        and not TITLES.match(tokens, k, end)
        and not PERSONS.match(tokens, k, end)
    )


def _enumerated_name_end(tokens: Sequence[Token], j: int, end: int) -> int:
    """At the "," of "Kinh tế, Hạ tầng và Đô thị": the index after the name when capitalised
    parts follow, separated by "," and closed by "và <Capital>", else 0. When every part is a
    department's name of its own ("Y tế, Tài chính và Xây dựng") they are several units."""
    parts: list[tuple[int, int]] = []
    k = j
    last = False
    for _ in range(5):
        if k >= end or tokens[k].text not in {",", "và"}:
            return 0
        last = tokens[k].key == "và"
        k += 1
        if not _name_word(tokens, k, end):
            return 0
        first = k
        k += 1
        while k < end and tokens[k].is_word and tokens[k].key != "và":
            if not tokens[k].is_capital and is_verb_at(tokens, k, end):
                break
            if tokens[k].is_capital and _head_at(tokens, k, end, False)[0]:
                break
            k += 1
        parts.append((first, k))
        if last:
            break
    if not last:
        return 0
    if k + 1 < end and tokens[k].key == "và" and _name_word(tokens, k + 1, end):
        # "..., Tài chính và Kế hoạch và Đầu tư": the last part has a "và" of its own.
        a = parts[-1][0]
        k = a + max(PROTECTED_NAMES.match(tokens, a, end), k - a)
        parts[-1] = (a, k)
    if all(PROTECTED_NAMES.match(tokens, a, b) == b - a for a, b in parts):
        return 0
    return k


def _unit_at(tokens: Sequence[Token], i: int, end: int, text: str) -> tuple[UnitSpan | None, int]:
    """Parse one unit at `i`: optional title, optional determiner, head, name words."""
    j = i
    title = TITLES.match(tokens, j, end)
    after_title = False
    if title:
        j += title
        after_title = True
        if j < end and tokens[j].text in {",", "và"}:  # "Giám đốc, Thủ trưởng"
            more = TITLES.match(tokens, j + 1, end)
            if more:
                j += 1 + more
    if PERSONS.match(tokens, j, end):
        return None, i
    first = j
    is_group = False
    proper_only = False  # a lower-case kind of place: its name is the capitalised words after it
    det = DETERMINERS.match(tokens, j, end)
    if det:
        j += det
        n = NAMED_HEADS.match(tokens, j, end) or GENERIC_HEADS.match(tokens, j, end)
        if not n:
            return None, i
        head_len, generic = n, True
        is_group = True
    else:
        head_len, generic = _head_at(tokens, j, end, after_title)
        if not head_len:
            lower = _generic_lower_at(tokens, j, end)
            kind = " ".join(t.key for t in tokens[j : j + lower]) if lower else ""
            if lower and (
                kind in _BARE_GENERIC
                # "phối hợp với thị xã Long Mỹ": a kind of place before its proper name
                or (
                    kind in _NAMED_PLACE_KINDS
                    and j + lower < end
                    and tokens[j + lower].is_capital
                    and tokens[j + lower].is_word
                )
            ):
                head_len, generic = _generic_lower_at(tokens, j, end), True
                proper_only = kind not in _BARE_GENERIC
            else:
                return None, i
    head_first = j
    j += head_len
    head_text = " ".join(t.text for t in tokens[head_first:j])
    # A protected tail keeps "Sở Văn hóa, Thể thao và Du lịch" whole.
    protected = PROTECTED_NAMES.match(tokens, j, end)
    if (
        protected
        and generic
        and key_of(head_text) not in _SHARED_HEADS
        and not tokens[j].is_capital
    ):
        protected = 0  # "các địa phương kiểm tra ...": a verb after a kind of unit, no name
    if protected:
        j += protected
    name_words = 0
    place_at: int | None = None  # index after the last place word ("huyện", "tỉnh")
    # A department's known name is complete: "Sở Lao động - Thương binh và Xã hội | nắm tình
    # hình" even when the verb lexicon lacks "nắm" (places and name words may still follow).
    complete = bool(protected) and key_of(head_text) in {"sở", "phòng"}
    while j < end:
        token = tokens[j]
        if (
            complete
            and token.is_word
            and not token.is_capital
            and not _PLACE_WORDS.match(tokens, j, end)
            and not _NAME_WORDS.match(tokens, j, end)
            and not NAME_COMPOUNDS.match(tokens, j, end)
        ):
            break
        if token.is_word and (token.is_capital or _PLACE_WORDS.match(tokens, j, end)):
            complete = complete and not token.is_capital
        if token.text in {"-", "&"}:
            if j + 1 < end and tokens[j + 1].is_word and not is_verb_at(tokens, j + 1, end):
                j += 2
                continue
            break
        if token.text == "," and (name_words or protected) and not (is_group or generic or det):
            m = _enumerated_name_end(tokens, j, end)
            if m:
                # "Phòng Kinh tế, Hạ tầng và Đô thị": "A, B và C" of capitalised words is one name.
                name_words += m - j
                j = m
                continue
        if not token.is_word:
            break
        if token.key == "và" and NAME_COMPOUNDS.match(tokens, j + 1, end) and not is_group:
            # "Ban Quản lý dự án đầu tư xây dựng và phát triển quỹ đất huyện"
            j += 1 + NAME_COMPOUNDS.match(tokens, j + 1, end)
            name_words += 1
            continue
        if token.key == "và":
            # "Kế hoạch và Đầu tư": a capitalised non-head word continues the name.
            if (
                j + 1 < end
                and tokens[j + 1].is_capital
                and not _head_at(tokens, j + 1, end, False)[0]
                and not TITLES.match(tokens, j + 1, end)
                and not is_group
            ):
                j += 2
                continue
            break
        if token.key == "có":
            n = _NAME_WORDS.match(tokens, j, end)
            if n:
                j += n
                continue
            break
        if token.key in {"tp", "tx", "tt"} and j + 2 < end and tokens[j + 1].text == ".":
            # "UBND TP. Thanh Hóa": the abbreviation's full stop is inside the name.
            j += 2
            name_words += 1
            continue
        if token.key == "cùng":
            break  # "Ban CHQS huyện cùng Công an huyện ...": "cùng" names a coordinating unit
        if token.key == "cũng":
            break  # "Sở này cũng phải báo cáo ...": an adverb before the verb
        if token.key in {"đã", "đang", "sẽ", "vừa"} and not token.is_capital:
            break  # "Đoàn đã đến kiểm tra ...": a mark of tense is never inside a name
        if (
            token.key == "không"
            and not token.is_capital
            and not (j > 0 and tokens[j - 1].key in {"hàng", "phòng"})
        ):
            break  # "các cấp, các ngành không được chủ quan": a negation ("hàng không" is a name)
        if proper_only and not token.is_capital:
            break
        compound = NAME_COMPOUNDS.match(tokens, j, end) or _PLACE_WORDS.match(tokens, j, end)
        if compound and not token.is_capital:
            j += compound
            name_words += compound
            place_at = j
            continue
        if (
            generic
            and not name_words
            and token.key == "quản"
            and j + 1 < end
            and tokens[j + 1].key == "lý"
        ):
            # "cơ quan quản lý đường bộ", "đơn vị quản lý dự án": a kind of agency.
            j += 2
            name_words += 2
            continue
        if not token.is_capital and name_words:
            # A known compound begun in capitals runs on in lower case: "Trung tâm Giáo dục
            # thường xuyên tỉnh", "Đội Trật tự đô thị phường", "Trung tâm Dịch vụ tổng hợp".
            runs_on = next(
                (
                    k + n
                    for k in range(max(head_first + head_len, j - 3), j)
                    if tokens[k].is_capital
                    for n in [NAME_COMPOUNDS.match(tokens, k, end)]
                    if k + n > j
                ),
                0,
            )
            if runs_on:
                name_words += runs_on - j
                j = runs_on
                continue
        if (name_words or protected or det) and is_verb_at(tokens, j, end):
            break
        if (
            not token.is_capital
            and place_at is not None
            and place_at < j
            and all(t.is_capital for t in tokens[place_at:j])
            and not _NAME_WORDS.match(tokens, j, end)
        ):
            # "UBND huyện Hồng Ngự cắm biển báo ...": the place's proper name ends the unit's
            # name; a lower-case word after it is the work, verb in the lexicon or not.
            break
        # The first word after a head is part of the name ("Ban quản lý"), unless the head is
        # generic ("đơn vị") and the word is a verb ("các đơn vị thực hiện").
        first_is_verb = not (name_words or protected or det) and is_verb_at(tokens, j, end)
        if (
            first_is_verb
            and not token.is_capital
            and TRIGGERS.match(tokens, j, end)
            and not NAME_COMPOUNDS.match(tokens, j, end)
        ):
            break  # "Sở giao Chi cục Thủy lợi ...": the issuer named by its head alone
        if first_is_verb and (
            generic
            or tokens[head_first].key in {"ubnd", "hđnd"}
            # ("Hạt Kiểm lâm duy trì ...": a head of three words is a name already)
            or head_len >= 3
            # ("giám đốc bệnh viện phải ...": a lower-case head after a title names no unit
            # of its own, so a verb right after it is the work)
            or (after_title and not tokens[head_first].is_capital)
        ):
            break
        if token.is_capital and TITLES.match(tokens, j, end) and name_words:
            break
        if token.is_capital and name_words and _head_at(tokens, j, end, False)[0]:
            # "UBND huyện Triệu Phong" keeps going, but a second head starts a new unit only
            # after a separator; inside a name ("Văn phòng UBND huyện") it is part of it.
            pass
        j += 1
        name_words += 1
        if name_words > 14:
            break
    if any(t.key in {"các", "những"} for t in tokens[head_first:j]):
        is_group = True  # "UBND các huyện" names a group, continued by ", thành phố"
    bare = generic and not (det or name_words or after_title or protected)
    head_key = " ".join(t.key for t in tokens[head_first : head_first + head_len])
    if bare and tokens[head_first].is_capital and head_key not in _CAPITAL_BARE:
        return None, i  # "Sở" alone is not a unit, nor "Tổ chức" opening "Tổ chức rà soát ..."
    if name_words > 14:
        # No verb found: keep the capitalised run only, the rest is the work.
        k = head_first + head_len + protected
        while k < j and (
            tokens[k].is_capital or not tokens[k].is_word or _NAME_WORDS.match(tokens, k, j)
        ):
            k += 1
        j = k
    span_text = text[tokens[first].start : tokens[j - 1].end]
    if after_title and span_text[:1].islower() and not det:
        span_text = span_text[0].upper() + span_text[1:]
    unit = UnitSpan(" ".join(span_text.split()), first, j, is_group or generic, head_text)
    unit.cut = name_words > 14
    return unit, j


def parse_unit_list(
    tokens: Sequence[Token], i: int, end: int, text: str
) -> tuple[list[UnitSpan], int]:
    """Units named side by side at `i` ("Sở Y tế, Sở GD&ĐT và UBND các huyện"), and the index
    after them. Groups stay whole ("các sở, ban, ngành"); a shared plural head is distributed
    ("các sở QHKT, Xây dựng" gives "Sở QHKT" and "Sở Xây dựng"). Token offsets index `text`."""
    units: list[UnitSpan] = []
    unit, j = _unit_at(tokens, i, end, text)
    if unit is None:
        return [], i
    unit = _distribute_first(unit, tokens, text)
    if (
        unit.is_group
        and unit.last - unit.first == 2
        and tokens[unit.first].key in {"các", "những"}
        and tokens[unit.first + 1].key in _SHARED_HEADS
        and j + 1 < end
        and tokens[j].text == ":"
        and tokens[j + 1].is_capital
        and not _head_at(tokens, j + 1, end, False)[0]
    ):
        # "các Sở: Xây dựng, Giao thông vận tải" names "Sở Xây dựng" and "Sở Giao thông vận tải".
        unit = UnitSpan(unit.text, unit.first, unit.last, True, tokens[unit.first + 1].text, True)
        units.append(unit)
        j = _distributed_names(tokens, j + 1, end, text, unit, units)
        return units[1:], j
    if (
        unit.is_group
        and j + 1 < end
        and tokens[j].text == ":"
        and tokens[j + 1].is_capital
        and _ends_with_kind_of_place(unit, tokens)
        and not _head_at(tokens, j + 1, end, False)[0]
    ):
        # "UBND các huyện: Vĩnh Linh, Gio Linh, Cam Lộ": one committee per place named.
        members = []
        m = j + 1
        while m < end and tokens[m].is_capital and not _head_at(tokens, m, end, False)[0]:
            e = m
            while e < end and tokens[e].is_word and tokens[e].is_capital:
                e += 1
            members.append((m, e))
            if e + 1 < end and tokens[e].text in {",", "và"} and tokens[e + 1].is_capital:
                m = e + 1
                continue
            m = e
            break
        if len(members) > 1:
            prefix = " ".join(text[tokens[unit.first].start : tokens[unit.last - 1].end].split())
            prefix = re.sub(r"(?:^|\s+)(?:các|những)\s+", " ", prefix).strip()
            return [
                UnitSpan(
                    f"{prefix} {' '.join(text[tokens[a].start : tokens[b - 1].end].split())}",
                    a,
                    b,
                    False,
                    unit.head,
                )
                for a, b in members
            ], m
    if (
        unit.is_group
        and key_of(unit.head) not in _SHARED_HEADS
        and j + 1 < end
        and tokens[j].text == ":"
    ):
        # "Các đơn vị liên quan: Công an tỉnh, Sở Giao thông vận tải, ... tập trung ...": the
        # units listed after the colon are the ones meant.
        listed, after = parse_unit_list(tokens, j + 1, end, text)
        if listed:
            return listed, after
    units.append(unit)
    while j < end:
        j = _role_after(tokens, j, end, units[-1])
        if j >= end:
            break
        sep = tokens[j]
        if sep.text not in {",", ";", "và", "/"}:
            break
        k = j + 1
        if k >= end:
            break
        current = units[-1]
        nxt = tokens[k]
        place_unit = _committee_of_next_place(current, tokens, k, end, text)
        if place_unit is not None and sep.text in {",", "và"}:
            # "UBND thành phố Thủ Đức, Quận 7, huyện Nhà Bè và huyện Bình Chánh": each place
            # after a committee of a named place has its own committee.
            units.append(place_unit)
            j = place_unit.last
            continue
        # A lower-case generic noun (or "các ...") continues a group: "các sở, ban, ngành".
        generic_len = _generic_lower_at(tokens, k, end)
        det_len = DETERMINERS.match(tokens, k, end) if nxt.key == "các" else 0
        place_next = bool(generic_len) and _is_place(tokens, k, k + generic_len)
        if (
            not current.is_group
            and sep.text == ","
            and place_next
            and _is_place(tokens, current.last - 1, current.last)
        ):
            # "UBND quận, huyện, thị xã": a head with a bare place noun, then more place
            # nouns, names a group of committees.
            current.is_group = True
        if (
            current.is_group
            and sep.text in {",", "và"}
            and generic_len
            and not place_next
            and _group_is_of_places(current, tokens)
        ):
            # "UBND các huyện, thị xã, thành phố, sở, ban, ngành liên quan": departments after
            # a group of places are another group.
            m = _group_member_end(tokens, k + generic_len, end)
            name = " ".join(text[tokens[k].start : tokens[m - 1].end].split())
            units.append(UnitSpan(name, k, m, True, tokens[k].text))
            j = m
            continue
        if (
            current.is_group
            and sep.text in {",", "và"}
            and (generic_len or (det_len and sep.text == ","))
        ):
            if sep.text == "và" and det_len:
                pass
            else:
                m = k + (det_len or 0)
                m += GENERIC_HEADS.match(tokens, m, end) or NAMED_HEADS.match(tokens, m, end)
                if m == k:
                    break
                m = _group_member_end(tokens, m, end)
                current.last = m
                current.text = " ".join(
                    text[tokens[current.first].start : tokens[m - 1].end].split()
                )
                j = m
                continue
        if (
            current.is_group
            and sep.text in {",", "và"}
            and nxt.is_capital
            and (not _head_at(tokens, k, end, False)[0] or _proper_place_name(tokens, k, end))
            and not TITLES.match(tokens, k, end)
            and _names_places(current, tokens)
        ):
            # "UBND các xã Triệu Đông, Triệu Thành, Triệu Trạch": one more place's name, for
            # `_distribute_places` to give its own committee.
            m = k + 1
            while m < end and tokens[m].is_word and tokens[m].is_capital:
                m += 1
            current.last = m
            current.text = " ".join(text[tokens[current.first].start : tokens[m - 1].end].split())
            j = m
            continue
        # A capitalised name without its head shares the previous plural head.
        if (
            nxt.is_capital
            and not _head_at(tokens, k, end, False)[0]
            and not TITLES.match(tokens, k, end)
            and (current.distributive or _shares_head(current, tokens, k, end))
            and sep.text in {",", "và"}
        ):
            m = k + PROTECTED_NAMES.match(tokens, k, end)
            while m < end and tokens[m].is_word and not is_verb_at(tokens, m, end):
                if tokens[m].key == "và" or (m > k and tokens[m].key in {"các"}):
                    break
                m += 1
            name = " ".join(text[tokens[k].start : tokens[m - 1].end].split())
            head = current.head[0].upper() + current.head[1:]
            units.append(UnitSpan(f"{head} {name}", k, m, False, current.head, True))
            j = m
            continue
        unit, m = _unit_at(tokens, k, end, text)
        if unit is None:
            break
        units.append(_distribute_first(unit, tokens, text))
        j = m
    if any(u.is_group for u in units):
        units = [member for u in units for member in _distribute_places(u, tokens, text)]
    return units, j


_COMMITTEE_HEADS = {"ubnd", "ủy ban nhân dân", "uỷ ban nhân dân", "hđnd", "hội đồng nhân dân"}


def _committee_of_next_place(
    current: UnitSpan, tokens: Sequence[Token], k: int, end: int, text: str
) -> UnitSpan | None:
    """At `k` after a committee of one named place ("UBND huyện Nhà Bè"): a place of its own
    ("huyện Bình Chánh", "Quận 7", "thành phố Thủ Đức") as that kind of committee, else None."""
    if current.is_group or key_of(current.head) not in _COMMITTEE_HEADS:
        return None
    # the current committee: head, a kind of place, a capitalised name (or a place given its
    # committee here, whose span is the place only)
    span = " ".join(text[tokens[current.first].start : tokens[current.last - 1].end].split())
    last = tokens[current.last - 1]
    if not (last.is_capital or last.text.isdigit()):
        return None
    if current.text != span and current.text.endswith(" " + span):
        prefix = current.text[: -len(span) - 1]
    else:
        p = current.first
        while p < current.last and not (_is_place(tokens, p, p + 1) or _is_place(tokens, p, p + 2)):
            p += 1
        if p == current.first or p >= current.last - 1:
            return None
        prefix = " ".join(text[tokens[current.first].start : tokens[p - 1].end].split())
    kind = 2 if _is_place(tokens, k, k + 2) else 1 if _is_place(tokens, k, k + 1) else 0
    m = k + kind
    if not kind or m >= end or not (tokens[m].is_capital or tokens[m].text.isdigit()):
        return None
    while m < end and tokens[m].is_word and tokens[m].key != "và":
        if not (tokens[m].is_capital or tokens[m].text.isdigit()):
            break
        m += 1
    place = " ".join(text[tokens[k].start : tokens[m - 1].end].split())
    return UnitSpan(f"{prefix} {place}", k, m, False, current.head)


_SHARED_HEADS = {"sở", "bộ", "phòng", "ban", "cục", "chi cục", "trung tâm", "hội"}
_PLACE_KEYS = {
    "xã",
    "phường",
    "thị trấn",
    "huyện",
    "quận",
    "thị xã",
    "thành phố",
    "tỉnh",
    "đặc khu",
    "tp",
    "tx",
}


def _is_place(tokens: Sequence[Token], a: int, b: int) -> bool:
    return 0 <= a < b and " ".join(t.key for t in tokens[a:b]) in _PLACE_KEYS


def _group_is_of_places(unit: UnitSpan, tokens: Sequence[Token]) -> bool:
    """ "UBND các huyện, thị xã" is a group of places; "các sở, ban" and "các xã, các phòng"
    are not: the kind is that of the last member."""
    place = False
    for k in range(unit.first, unit.last):
        if _is_place(tokens, k, k + 1) or _is_place(tokens, k, k + 2):
            place = True
        elif _generic_lower_at(tokens, k, unit.last) and not tokens[k].is_capital:
            place = False
    return place


def _group_member_end(tokens: Sequence[Token], m: int, end: int) -> int:
    """Index after the name words of a group member ("các ngành có liên quan", "thành phố")."""
    while m < end and tokens[m].is_word:
        if (
            tokens[m].key == "quản"
            and m + 1 < end
            and tokens[m + 1].key == "lý"
            and m > 0
            and tokens[m - 1].key in {"ban", "đơn vị", "cơ quan"}
        ):
            m += 2  # "ban quản lý rừng phòng hộ": a kind of agency, not the verb "quản lý"
            continue
        compound = NAME_COMPOUNDS.match(tokens, m, end)
        if compound and m > 0 and tokens[m - 1].key != "các":
            m += compound  # "rừng phòng hộ, đặc dụng" inside a member's name
            continue
        if is_verb_at(tokens, m, end):
            break
        if tokens[m].key in {"và"}:
            break
        if tokens[m].key in {"không", "đã", "đang", "sẽ", "cũng"} and not (
            m > 0 and tokens[m - 1].key in {"hàng", "phòng"}
        ):
            break  # "các cấp, các ngành không được chủ quan": negation and tense end a member
        if tokens[m].key == "có" and not _NAME_WORDS.match(tokens, m, end):
            break
        if tokens[m].is_capital and _head_at(tokens, m, end, False)[0]:
            break
        m += 1
    return m


def _shares_head(current: UnitSpan, tokens: Sequence[Token], k: int, end: int) -> bool:
    """ "Sở Y tế, Tài chính và Xây dựng": a department's own name right after a unit with a
    shareable head ("Sở", "Phòng") takes that head."""
    if current.is_group or key_of(current.head) not in _SHARED_HEADS:
        return False
    n = PROTECTED_NAMES.match(tokens, k, end)
    if not n:
        return False
    after = k + n
    return (
        after >= end
        or not tokens[after].is_word
        or tokens[after].key == "và"
        or bool(is_verb_at(tokens, after, end))
    )


def _distributed_names(
    tokens: Sequence[Token], k: int, end: int, text: str, group: UnitSpan, units: list[UnitSpan]
) -> int:
    """Names after "các Sở:" up to the first verb, each with the shared head; index after."""
    head = group.head[0].upper() + group.head[1:]
    while k < end and tokens[k].is_capital and not _head_at(tokens, k, end, False)[0]:
        m = k + PROTECTED_NAMES.match(tokens, k, end)
        while m < end and tokens[m].is_word and not is_verb_at(tokens, m, end):
            if tokens[m].key == "và" or (m > k and tokens[m].key == "các"):
                break
            m += 1
        if m == k:
            break
        name = " ".join(text[tokens[k].start : tokens[m - 1].end].split())
        units.append(UnitSpan(f"{head} {name}", k, m, False, group.head, True))
        if m + 1 < end and tokens[m].text in {",", "và"} and tokens[m + 1].is_capital:
            k = m + 1
            continue
        return m
    return k


def _distribute_first(unit: UnitSpan, tokens: Sequence[Token], text: str) -> UnitSpan:
    """ "các sở QHKT" names one unit, "Sở QHKT", whose head the next names share."""
    first = tokens[unit.first]
    if first.key in {"các", "những"} and unit.last - unit.first >= 3:
        head = tokens[unit.first + 1]
        name = tokens[unit.first + 2]
        if (
            head.key in {"sở", "bộ", "phòng", "ban", "cục", "chi cục", "trung tâm", "hội"}
            and name.is_capital
            and not _head_at(tokens, unit.first + 2, unit.last, False)[0]
        ):
            rest = text[head.start : tokens[unit.last - 1].end]
            name = " ".join((rest[0].upper() + rest[1:]).split())
            return UnitSpan(name, unit.first, unit.last, False, head.text, True)
    return unit


# A member that says its own kind of place: "TX.An Nhơn", "TP Quy Nhơn", "thị trấn Phú Mỹ".
_OWN_KIND_RE = re.compile(r"(?:TX|TP|TT|Tx|Tp|Tt|Q|P|[Tt]hị xã|[Tt]hành phố|[Tt]hị trấn)\b")


_ROLES = {
    "chủ trì": "lead",
    "cơ quan chủ trì": "lead",
    "đơn vị chủ trì": "lead",
    "phối hợp": "coordinating",
    "cơ quan phối hợp": "coordinating",
    "đơn vị phối hợp": "coordinating",
}


def _role_after(tokens: Sequence[Token], j: int, end: int, unit: UnitSpan) -> int:
    """ "Sở Y tế (chủ trì), Sở Tài chính (phối hợp)": a role in brackets after a unit is noted
    on it and skipped; the index after it (`j` itself when there is none)."""
    if j + 2 >= end or tokens[j].text != "(":
        return j
    k = j + 1
    while k < end and k < j + 5 and tokens[k].text != ")":
        k += 1
    if k >= end or tokens[k].text != ")":
        return j
    role = _ROLES.get(" ".join(t.key for t in tokens[j + 1 : k]))
    if role is None:
        return j
    unit.role = role
    return k + 1


def _ends_with_kind_of_place(unit: UnitSpan, tokens: Sequence[Token]) -> bool:
    """ "UBND các huyện", "Công an các xã": a head, "các" and one kind of place."""
    last = unit.last
    for kind in (1, 2):
        if (
            _is_place(tokens, last - kind, last)
            and last - kind - 1 >= unit.first
            and tokens[last - kind - 1].key in {"các", "những"}
        ):
            return True
    return False


def _names_places(unit: UnitSpan, tokens: Sequence[Token]) -> bool:
    """Whether the group is "<head> các <kind of place> <Name> ..." ("UBND các xã Triệu Đông")."""
    for d in range(unit.first, unit.last - 2):
        if tokens[d].key == "các":
            kind = (
                2
                if _is_place(tokens, d + 1, d + 3)
                else 1
                if _is_place(tokens, d + 1, d + 2)
                else 0
            )
            return bool(kind) and d > unit.first and tokens[d + 1 + kind].is_capital
    return False


def _proper_place_name(tokens: Sequence[Token], k: int, end: int) -> bool:
    """In a list of places, "Trường Sơn" or "Hội Hợp" is a place whose first word is also a
    one-word head: every word capitalised, two to four of them, then a separator. A unit has a
    lower-case word in its name ("Trường Chính trị tỉnh")."""
    if _head_at(tokens, k, end, False)[0] != 1:
        return False
    m = k
    while m < end and tokens[m].is_word and tokens[m].is_capital and tokens[m].key != "và":
        m += 1
    return 2 <= m - k <= 4 and (m >= end or not tokens[m].is_word or tokens[m].key == "và")


def _distribute_places(unit: UnitSpan, tokens: Sequence[Token], text: str) -> list[UnitSpan]:
    """ "UBND các huyện Phù Mỹ, Vân Canh, TX.An Nhơn và TP.Quy Nhơn" names four committees:
    "UBND huyện Phù Mỹ", ..., "UBND TX.An Nhơn" (a member that says its own kind keeps it).
    Only when every member is a capitalised proper name: "UBND các huyện, thị xã, thành phố"
    and "UBND các huyện, thành phố Gia Nghĩa" stay groups."""
    if not unit.is_group:
        return [unit]
    d = unit.first
    while d < unit.last and tokens[d].key != "các":
        d += 1
    if d == unit.first or d >= unit.last - 2:
        return [unit]
    kind_len = 2 if _is_place(tokens, d + 1, d + 3) else 1 if _is_place(tokens, d + 1, d + 2) else 0
    start = d + 1 + kind_len
    if not kind_len or start >= unit.last or not tokens[start].is_capital:
        return [unit]
    prefix = " ".join(text[tokens[unit.first].start : tokens[d - 1].end].split())
    kind = " ".join(t.text for t in tokens[d + 1 : d + 1 + kind_len])
    members: list[UnitSpan] = []
    k = start
    while k < unit.last:
        m = k
        while m < unit.last and tokens[m].text != "," and tokens[m].key != "và":
            m += 1
        if (
            m == k
            or not tokens[k].is_capital
            or (_head_at(tokens, k, m, False)[0] and not _proper_place_name(tokens, k, m))
        ):
            return [unit]
        name = " ".join(text[tokens[k].start : tokens[m - 1].end].split())
        own_kind = _OWN_KIND_RE.match(name)
        full = f"{prefix} {name}" if own_kind else f"{prefix} {kind} {name}"
        members.append(UnitSpan(full, k, m, False, unit.head))
        k = m + 1
    return members if len(members) > 1 else [unit]


def split_units(names: str) -> list[str]:
    """The unit names in a comma/"và" separated list, as written ("Sở TN&MT, Sở GTVT và các đơn
    vị liên quan" gives three names)."""
    tokens = tokenize(names)
    units, _ = parse_unit_list(tokens, 0, len(tokens), names)
    return [u.text for u in units]


# ---------------------------------------------------------------------------------------------
# Matching names to the unit directory

# Spelled-out names and their abbreviations, folded (no diacritics); both sides of a comparison
# are rewritten to the short form.
_ABBREVIATIONS = [
    ("uy ban nhan dan", "ubnd"),
    ("hoi dong nhan dan", "hdnd"),
    ("uy ban mat tran to quoc viet nam", "ubmttq"),
    ("uy ban mat tran to quoc", "ubmttq"),
    ("mat tran to quoc viet nam", "mttq"),
    ("mat tran to quoc", "mttq"),
    ("tai nguyen va moi truong", "tnmt"),
    ("tai nguyen - moi truong", "tnmt"),
    ("tai chinh - ke hoach", "tckh"),
    ("tai chinh ke hoach", "tckh"),
    ("ke hoach va dau tu", "khdt"),
    ("kinh te va ha tang", "ktht"),
    ("kinh te - ha tang", "ktht"),
    ("lao dong - thuong binh va xa hoi", "ldtbxh"),
    ("lao dong, thuong binh va xa hoi", "ldtbxh"),
    ("lao dong thuong binh va xa hoi", "ldtbxh"),
    ("giao duc va dao tao", "gddt"),
    ("giao duc - dao tao", "gddt"),
    ("nong nghiep va phat trien nong thon", "nnptnt"),
    ("nong nghiep va ptnt", "nnptnt"),
    ("van hoa, the thao va du lich", "vhttdl"),
    ("van hoa - the thao va du lich", "vhttdl"),
    ("van hoa va thong tin", "vhtt"),
    ("van hoa - thong tin", "vhtt"),
    ("van hoa thong tin", "vhtt"),
    ("thong tin va truyen thong", "tttt"),
    ("khoa hoc va cong nghe", "khcn"),
    ("giao thong van tai", "gtvt"),
    ("giao thong - van tai", "gtvt"),
    ("chi huy quan su", "chqs"),
    ("quan ly du an", "qlda"),
    ("bao hiem xa hoi", "bhxh"),
    ("kho bac nha nuoc", "kbnn"),
    ("van phong", "vp"),
    ("thanh pho", "tp"),
    ("thi xa", "tx"),
    ("thi tran", "tt"),
]
_COMPACT_RE = re.compile(r"\b([a-z]{1,4})\s*[&\-]\s*(?=[a-z]{1,4}\b)")


def _compact(folded: str) -> str:
    for long, short in _ABBREVIATIONS:
        folded = folded.replace(long, short)
    # "tc-kh", "tn&mt", "ld-tb&xh" -> "tckh", "tnmt", "ldtbxh"
    previous = None
    while previous != folded:
        previous = folded
        folded = _COMPACT_RE.sub(r"\1", folded)
    folded = re.sub(r"[^\w\s]", " ", folded)
    return " ".join(folded.split())


@lru_cache(maxsize=8192)
def match_key(name: str) -> str:
    """Comparison key of a unit name: folded, abbreviations unified, punctuation dropped."""
    return _compact(fold(key_of(name or "")))


# Group references: a key fragment and the kind of group it names.
_GROUPS = [
    (re.compile(r"\b(ubnd )?cac (xa|phuong|thi tran|dac khu)"), "communes"),
    (re.compile(r"\bcac (huyen|tx|tp|quan)"), "districts"),
    (re.compile(r"\bcac phong( ban)? chuyen mon|\bcac phong\b|\bcac phong ban"), "departments"),
    (re.compile(r"\bcac (so|bo)\b|\bcac so nganh|\bso ban nganh"), "provincial_departments"),
    (
        re.compile(r"\bcac (don vi|co quan|nganh|dia phuong|hoi|doan the|truong|to chuc)"),
        "related_units",
    ),
]


@dataclass(frozen=True)
class UnitMatch:
    """The directory unit that best fits a name, with a 0..100 score."""

    unit_id: object
    name: str
    score: float


@dataclass(frozen=True)
class GroupMatch:
    """A name that refers to a group of units ("UBND các xã"), not to one unit."""

    kind: str  # communes, districts, departments, provincial_departments, related_units
    name: str


class UnitMatcher:
    """Matches a unit name as written in a notice against the unit directory, tolerant of case,
    diacritics, Ủy/Uỷ, spelled-out or abbreviated names (UBND, HĐND, TN&MT, TC-KH ...)."""

    def __init__(
        self,
        units: Iterable[tuple[object, str, str | None, Iterable[str] | None]],
        threshold: float = 80.0,
    ) -> None:
        self.threshold = threshold
        self._choices: list[str] = []
        self._owners: list[tuple[object, str]] = []
        for unit_id, name, short_name, aliases in units:
            for variant in [name, short_name, *(aliases or ())]:
                if variant:
                    self._choices.append(match_key(variant))
                    self._owners.append((unit_id, name))

    @staticmethod
    def group_of(name: str) -> GroupMatch | None:
        """The group a name refers to ("UBND các xã" -> communes), or None for a single unit."""
        key = match_key(name)
        for pattern, kind in _GROUPS:
            if pattern.search(key):
                return GroupMatch(kind, name)
        return None

    def match(self, name: str) -> UnitMatch | GroupMatch | None:
        """The best matching unit (score >= threshold), a GroupMatch for group references, or
        None when nothing fits."""
        group = self.group_of(name)
        if group is not None:
            return group
        best = self.best(name)
        if best is None or best.score < self.threshold:
            return None
        return best

    def best(self, name: str) -> UnitMatch | None:
        """The closest unit whatever its score (None only for an empty directory)."""
        if not self._choices:
            return None
        key = match_key(name)
        exact = [i for i, choice in enumerate(self._choices) if choice == key]
        if exact:
            unit_id, unit_name = self._owners[exact[0]]
            return UnitMatch(unit_id, unit_name, 100.0)
        result = process.extractOne(key, self._choices, scorer=_score)
        if result is None:
            return None
        _choice, score, index = result
        unit_id, unit_name = self._owners[index]
        return UnitMatch(unit_id, unit_name, float(score))


def _score(a: str, b: str, **_kwargs: object) -> float:
    # token_sort_ratio tolerates word order; ratio keeps "Phòng Y tế" from matching
    # "Trung tâm Y tế" as well as it matches itself.
    return 0.6 * fuzz.ratio(a, b) + 0.4 * fuzz.token_sort_ratio(a, b)
