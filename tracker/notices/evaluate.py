"""Score the notice reader on a folder of notices with hand-made expectations."""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from tracker.notices.extract import NoticeReadError, read_notice
from tracker.notices.files import read_notice_file

__all__ = [
    "NoticeScore",
    "evaluate_folder",
    "same_unit",
    "score_notice",
    "selects",
    "text_similarity",
]

# Spelled-out names and the abbreviations they are compared as.
_SHORT_FORMS = [
    ("ủy ban nhân dân", "ubnd"),
    ("hội đồng nhân dân", "hđnd"),
    ("mặt trận tổ quốc", "mttq"),
    ("tài nguyên và môi trường", "tn&mt"),
    ("tài chính - kế hoạch", "tc-kh"),
    ("lao động - thương binh và xã hội", "lđ-tb&xh"),
    ("kế hoạch và đầu tư", "kh&đt"),
    ("giao thông vận tải", "gtvt"),
    ("nông nghiệp và phát triển nông thôn", "nn&ptnt"),
]


def _lower(text: str | None) -> str:
    text = unicodedata.normalize("NFC", text or "").lower()
    return text.replace("uỷ", "ủy").replace("thuỷ", "thủy")


def _syllables(text: str | None) -> list[str]:
    return re.findall(r"\w+", _lower(text))


def _bag_f1(a: Sequence[str], b: Sequence[str]) -> float:
    """F1 of the multiset overlap of two word lists."""
    if not a or not b:
        return 0.0
    remaining: dict[str, int] = {}
    for word in b:
        remaining[word] = remaining.get(word, 0) + 1
    common = 0
    for word in a:
        if remaining.get(word, 0) > 0:
            remaining[word] -= 1
            common += 1
    if not common:
        return 0.0
    precision, recall = common / len(a), common / len(b)
    return 2 * precision * recall / (precision + recall)


def text_similarity(a: str | None, b: str | None) -> float:
    """Syllable-overlap F1 of two task texts (case, NFC and punctuation ignored)."""
    return _bag_f1(_syllables(a), _syllables(b))


def _unit_words(name: str | None) -> list[str]:
    text = _lower(name)
    for long, short in _SHORT_FORMS:
        text = text.replace(long, short)
    return re.findall(r"[\w&-]+", text)


def same_unit(a: str | None, b: str | None) -> bool:
    """Two unit names are the same after normalisation, or overlap with F1 >= 0.8."""
    wa, wb = _unit_words(a), _unit_words(b)
    return wa == wb or _bag_f1(wa, wb) >= 0.8


def _units_f1(predicted: Sequence[str], expected: Sequence[str]) -> float:
    if not predicted and not expected:
        return 1.0
    pool = list(expected)
    hits = 0
    for name in predicted:
        for index, candidate in enumerate(pool):
            if same_unit(name, candidate):
                hits += 1
                del pool[index]
                break
    if not hits:
        return 0.0
    precision, recall = hits / len(predicted), hits / len(expected)
    return 2 * precision * recall / (precision + recall)


@dataclass
class NoticeScore:
    """Counts for one notice (or summed over many)."""

    predicted: int = 0
    expected: int = 0
    matched: int = 0
    lead_right: int = 0
    deadline_right: int = 0
    coordinating_f1_sum: float = 0.0

    def __add__(self, other: NoticeScore) -> NoticeScore:
        return NoticeScore(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(self)))

    def summary(self) -> dict[str, float]:
        """Precision, recall, F1 of tasks; lead, coordinating, deadline scores on matches."""
        m = self.matched
        precision = m / self.predicted if self.predicted else 0.0
        recall = m / self.expected if self.expected else 0.0
        f1 = 2 * precision * recall / (precision + recall) if m else 0.0
        return {
            "task_precision": round(precision, 3),
            "task_recall": round(recall, 3),
            "task_f1": round(f1, 3),
            "lead_accuracy": round(self.lead_right / m, 3) if m else 0.0,
            "coordinating_f1": round(self.coordinating_f1_sum / m, 3) if m else 0.0,
            "deadline_accuracy": round(self.deadline_right / m, 3) if m else 0.0,
        }


def score_notice(
    predicted: Sequence[dict[str, Any]], expected: Sequence[dict[str, Any]]
) -> NoticeScore:
    """Pair proposed and expected tasks (text similarity >= 0.5, most similar first; ties go to
    pairs whose leads agree, then to nearer positions) and count what the pairs get right."""
    candidates = []
    for i, p in enumerate(predicted):
        for j, e in enumerate(expected):
            similarity = text_similarity(p.get("task"), e.get("task"))
            if similarity >= 0.5:
                agree = same_unit(p.get("lead"), e.get("lead"))
                candidates.append((round(similarity, 6), agree, -abs(i - j), i, j))
    candidates.sort(key=lambda c: c[:3], reverse=True)
    used_p: set[int] = set()
    used_e: set[int] = set()
    score = NoticeScore(predicted=len(predicted), expected=len(expected))
    for _similarity, _agree, _distance, i, j in candidates:
        if i in used_p or j in used_e:
            continue
        used_p.add(i)
        used_e.add(j)
        p, e = predicted[i], expected[j]
        score.matched += 1
        score.lead_right += same_unit(p.get("lead"), e.get("lead"))
        score.deadline_right += (p.get("deadline") or None) == (e.get("deadline") or None)
        score.coordinating_f1_sum += _units_f1(
            p.get("coordinating") or [], e.get("coordinating") or []
        )
    return score


def _expected_tasks(payload: Any) -> list[dict[str, Any]]:
    if isinstance(payload, dict):
        payload = payload.get("tasks", [])
    return list(payload or [])


def selects(only: str, stem: str) -> bool:
    """Whether the notice `stem` is in the selection `only`: comma-separated names ("seed",
    "tb-01") and number ranges ("201-220", "202-220:even", "01-199:odd", and with a name
    prefix "h01-h24:odd" or "h01-24:odd"); empty selects all."""
    items = [item.strip() for item in only.split(",") if item.strip()]
    if not items:
        return True
    stem_m = re.fullmatch(r"([^\d]*)(\d+)", stem)
    for item in items:
        if item == stem:
            return True
        m = re.fullmatch(r"([^\d]*)(\d+)-(?:\1)?(\d+)(?::(odd|even))?", item)
        if not (m and stem_m and stem_m.group(1) == m.group(1)):
            continue
        number = int(stem_m.group(2))
        if int(m.group(2)) <= number <= int(m.group(3)):
            parity = m.group(4)
            if parity is None or (number % 2 == 1) == (parity == "odd"):
                return True
    return False


def evaluate_folder(folder: Path, only: str = "") -> Iterator[str]:
    """One line per notice (those selected by `only`, see `selects`), then a JSON line with
    the totals."""
    total = NoticeScore()
    failures = 0
    for expected_path in sorted(Path(folder).glob("*.expected.json")):
        stem = expected_path.name[: -len(".expected.json")]
        if not selects(only, stem):
            continue
        expected = _expected_tasks(json.loads(expected_path.read_text(encoding="utf-8")))
        notice_path = next(
            (
                p
                for p in (
                    expected_path.with_name(f"{stem}{ext}") for ext in (".txt", ".docx", ".pdf")
                )
                if p.exists()
            ),
            None,
        )
        predicted: list[dict[str, Any]] = []
        if notice_path is None:
            failures += 1
            yield f"{stem}: no notice file"
        else:
            try:
                predicted = read_notice(read_notice_file(notice_path)).to_dict()["tasks"]
            except NoticeReadError as error:
                failures += 1
                yield f"{stem}: {error.message}"
        score = score_notice(predicted, expected)
        total = total + score
        yield (
            f"{stem}: expected {score.expected} proposed {score.predicted} "
            f"matched {score.matched} lead {score.lead_right} deadline {score.deadline_right}"
        )
    summary: dict[str, float | int] = {"notices_unread": failures, **total.summary()}
    yield json.dumps(summary, ensure_ascii=False)
