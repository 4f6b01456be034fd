"""`tracker extract` from the command line, and the evaluation mode."""

from __future__ import annotations

import json

from click.testing import CliRunner

from tracker.notices.cli import extract_command


def test_extract_prints_the_json(data_dir):
    result = CliRunner().invoke(extract_command, [str(data_dir / "tb-01.txt")])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["notice"]["number"] == "112/TB-UBND"
    assert data["tasks"][0]["deadline"] == "2024-03-25"


def test_extract_reads_stdin_and_takes_the_issue_date():
    text = "Đề nghị Phòng Nội vụ rà soát biên chế, báo cáo trước ngày 15/4."
    result = CliRunner().invoke(extract_command, ["-", "--issued-on", "2024-04-02"], input=text)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["notice"]["issued_on"] == "2024-04-02"
    assert data["tasks"][0]["deadline"] == "2024-04-15"


def test_bad_input_is_a_message_and_exit_1(tmp_path):
    path = tmp_path / "empty.txt"
    path.write_bytes(b"")
    result = CliRunner().invoke(extract_command, [str(path)])
    assert result.exit_code == 1
    assert "trống" in result.stderr
    assert "Traceback" not in result.output


def test_no_directives_is_said(tmp_path):
    path = tmp_path / "news.txt"
    path.write_text("Hội nghị diễn ra trong không khí vui tươi.", encoding="utf-8")
    result = CliRunner().invoke(extract_command, [str(path)])
    assert result.exit_code == 0
    assert json.loads(result.stdout)["tasks"] == []
    assert "Không tìm thấy" in result.stderr


def test_evaluate_prints_lines_and_totals(data_dir):
    result = CliRunner().invoke(extract_command, ["--evaluate", str(data_dir)])
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().split("\n")
    assert lines[0].startswith("tb-01: expected")
    totals = json.loads(lines[-1])
    assert totals["task_f1"] == 1.0
