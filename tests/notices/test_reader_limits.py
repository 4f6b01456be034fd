"""The reader's bounds: a size cap with a clear message, and work that grows linearly."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable

import pytest
from click.testing import CliRunner

from tracker.notices.cli import extract_command
from tracker.notices.extract import (
    MAX_NOTICE_CHARS,
    TOO_LONG_MESSAGE,
    NoticeReadError,
    read_notice,
)
from tracker.notices.synthetic import PATHOLOGICAL_KINDS, pathological_text, sample_notice


def test_a_notice_at_the_cap_is_read_and_one_past_it_refused():
    text = sample_notice(10_000)
    padded = text + " " * (MAX_NOTICE_CHARS - len(text))
    assert len(padded) == MAX_NOTICE_CHARS
    assert read_notice(padded).tasks
    with pytest.raises(NoticeReadError) as refused:
        read_notice(padded + "x")
    assert refused.value.message == TOO_LONG_MESSAGE
    assert "tối đa 200.000 ký tự" in TOO_LONG_MESSAGE


def test_the_command_line_refuses_a_long_file_and_a_long_stdin(tmp_path):
    path = tmp_path / "long.txt"
    path.write_text(pathological_text("unit-lists", MAX_NOTICE_CHARS + 1000), encoding="utf-8")
    result = CliRunner().invoke(extract_command, [str(path)])
    assert result.exit_code == 1
    assert "quá dài" in result.stderr and "Traceback" not in result.output
    result = CliRunner().invoke(extract_command, ["-"], input=path.read_text(encoding="utf-8"))
    assert result.exit_code == 1 and "quá dài" in result.stderr


def _calls(run: Callable[[], object]) -> int:
    """Python and built-in function calls made by `run`: a deterministic count of work."""
    count = 0

    def profile(_frame: object, event: str, _arg: object) -> None:
        nonlocal count
        if event in ("call", "c_call"):
            count += 1

    sys.setprofile(profile)
    try:
        run()
    finally:
        sys.setprofile(None)
    return count


def _processor_seconds(run: Callable[[], object]) -> float:
    started = time.process_time()
    run()
    return time.process_time() - started


@pytest.mark.parametrize("kind", PATHOLOGICAL_KINDS)
def test_work_grows_linearly_on_pathological_input(kind):
    small = pathological_text(kind, 25_000)
    large = pathological_text(kind, 50_000)
    read_notice(small)  # warm caches (lru_cache of word keys) so both runs start alike
    # Calls are counted exactly: doubling the input must about double them (quadratic work
    # would quadruple them).
    small_calls, large_calls = (
        _calls(lambda: read_notice(small)),
        _calls(lambda: read_notice(large)),
    )
    ratio = large_calls / small_calls
    assert ratio < 2.4, f"{kind}: twice the text made {ratio:.2f} times the calls"
    # And a bound on the work per character: a plausible notice takes some 10 calls a
    # character; the reader that took 28 s on a 560 KB paste took over 500 on repeated unit
    # lists (quadratic inside each 4,000-character piece, so doubling alone did not show it).
    per_char = large_calls / len(large)
    assert per_char < 40, f"{kind}: {per_char:.0f} calls per character"
    # Work inside C functions (regular expressions, string building) is not a call: the
    # processor time is compared too, best of three of each interleaved, against a bound
    # halfway between linear (2) and quadratic (4).
    small_times, large_times = [], []
    for _ in range(3):
        small_times.append(_processor_seconds(lambda: read_notice(small)))
        large_times.append(_processor_seconds(lambda: read_notice(large)))
    time_ratio = min(large_times) / max(min(small_times), 1e-3)
    assert time_ratio < 3.0, f"{kind}: twice the text took {time_ratio:.2f} times as long"


@pytest.mark.parametrize("kind", ["unit-lists", "no-punctuation", "colons", "abbreviations"])
def test_work_grows_linearly_inside_one_long_sentence(kind):
    # A sentence longer than 4,000 characters is read in pieces, so work that is quadratic in
    # a sentence's length only shows below that size: 1,900 against 3,800 characters, read 15
    # times each, best of three, interleaved (quadratic would be 4 times as long).
    small = pathological_text(kind, 1_900)
    large = pathological_text(kind, 3_800)

    def fifteen(text: str) -> Callable[[], object]:
        return lambda: [read_notice(text) for _ in range(15)]

    read_notice(small)
    small_times, large_times = [], []
    for _ in range(3):
        small_times.append(_processor_seconds(fifteen(small)))
        large_times.append(_processor_seconds(fifteen(large)))
    ratio = min(large_times) / max(min(small_times), 1e-3)
    assert ratio < 3.0, f"{kind}: twice the sentence took {ratio:.2f} times as long"


def test_a_generated_notice_of_200_kb_is_read_whole():
    text = sample_notice(200_000)
    assert 195_000 <= len(text.encode()) <= 205_000
    reading = read_notice(text)
    directives = sum(
        1 for line in text.split("\n") if line[:1].isdigit() and "Về tình hình" not in line
    )
    # Every generated directive is read (a few read as restatements of one just before).
    assert len(reading.tasks) >= 0.95 * directives
    assert all(task.deadline or task.recurring for task in reading.tasks[:50])


def test_bench_prints_a_line_per_text():
    result = CliRunner().invoke(extract_command, ["--bench", "20000"])
    assert result.exit_code == 0, result.output
    lines = result.output.strip().split("\n")
    assert [line.split()[0] for line in lines] == ["notice", *PATHOLOGICAL_KINDS]
    assert all(" s " in line and "tasks" in line for line in lines)


def test_reading_imports_neither_models_nor_a_database():
    code = (
        "import sys, json; from tracker.notices.extract import read_notice; "
        "read_notice('Giao Sở Y tế kiểm tra hồ sơ.'); "
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith(('sqlalchemy', "
        "'tracker.tasks', 'tracker.auth', 'flask_sqlalchemy')))))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert json.loads(out) == []
