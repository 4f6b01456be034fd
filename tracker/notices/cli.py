"""`tracker extract`: read a notice file and print the proposed tasks as JSON."""

from __future__ import annotations

import json
import sys
from datetime import date, datetime
from pathlib import Path

import click

from tracker.notices.extract import NoticeReadError, read_notice
from tracker.notices.files import read_notice_bytes, read_notice_file


def _parse_date(_ctx: click.Context, _param: click.Parameter, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError as error:
        raise click.BadParameter("dùng dạng YYYY-MM-DD, ví dụ 2024-04-05") from error


@click.command("extract")
@click.argument("file", required=False)
@click.option(
    "--issued-on",
    callback=_parse_date,
    metavar="YYYY-MM-DD",
    help="Ngày ban hành (mặc định: đọc từ văn bản).",
)
@click.option(
    "--evaluate",
    "evaluate_dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Chấm điểm trên một thư mục NN.txt + NN.expected.json.",
)
def extract_command(file: str | None, issued_on: date | None, evaluate_dir: Path | None) -> None:
    """Read the notice FILE (.txt, .docx, .pdf, or - for standard input) and print its header
    and proposed tasks as JSON."""
    if evaluate_dir is not None:
        from tracker.notices.evaluate import evaluate_folder

        for line in evaluate_folder(evaluate_dir):
            click.echo(line)
        return
    if file is None:
        raise click.UsageError("cần FILE (đường dẫn, hoặc - để đọc từ đầu vào chuẩn)")
    try:
        if file == "-":
            text = read_notice_bytes(sys.stdin.buffer.read(), "stdin.txt")
        else:
            text = read_notice_file(file)
        reading = read_notice(text, issued_on=issued_on)
    except NoticeReadError as error:
        click.echo(f"Lỗi: {error.message}", err=True)
        sys.exit(1)
    click.echo(json.dumps(reading.to_dict(), ensure_ascii=False, indent=2))
    for warning in reading.warnings:
        click.echo(f"Lưu ý: {warning}", err=True)


if __name__ == "__main__":
    extract_command()
