"""`tracker extract`: read a notice file and print the proposed tasks as JSON."""

from __future__ import annotations

import json
import sys
import time
from datetime import date, datetime
from pathlib import Path

import click

from tracker.notices.extract import MAX_NOTICE_CHARS, NoticeReadError, read_notice
from tracker.notices.files import read_notice_bytes, read_notice_file


def _parse_date(_ctx: click.Context, _param: click.Parameter, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError as error:
        raise click.BadParameter("dùng dạng YYYY-MM-DD, ví dụ 2024-04-05") from error


def _bench(size: int) -> None:
    """Read a generated notice of `size` bytes and the pathological pastes of the same size;
    print the time of each (best of three, wall clock and processor)."""
    from tracker.notices.synthetic import PATHOLOGICAL_KINDS, pathological_text, sample_notice

    read_notice("Giao Sở Y tế kiểm tra hồ sơ.")  # imports and caches warmed up
    texts = [("notice", sample_notice(size))]
    texts += [(kind, pathological_text(kind, size)) for kind in PATHOLOGICAL_KINDS]
    for name, text in texts:
        text = text[:MAX_NOTICE_CHARS]
        wall, cpu = float("inf"), float("inf")
        for _ in range(3):
            started, started_cpu = time.perf_counter(), time.process_time()
            reading = read_notice(text)
            wall = min(wall, time.perf_counter() - started)
            cpu = min(cpu, time.process_time() - started_cpu)
        click.echo(
            f"{name:<15} {len(text.encode()):>8} bytes {len(text):>8} chars "
            f"{len(reading.tasks):>5} tasks  {wall:6.3f} s  ({cpu:.3f} s processor)"
        )


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
@click.option(
    "--only",
    default="",
    metavar="NN,NN-NN",
    help="Với --evaluate: chỉ chấm các văn bản này (tên hoặc khoảng số, ví dụ 202-220:even).",
)
@click.option(
    "--bench",
    "bench_size",
    type=click.IntRange(1_000, MAX_NOTICE_CHARS * 2),
    default=None,
    metavar="BYTES",
    help="Đo thời gian đọc một thông báo sinh tự động cỡ BYTES (ví dụ 200000) và các văn bản "
    "bệnh lý cùng cỡ.",
)
def extract_command(
    file: str | None,
    issued_on: date | None,
    evaluate_dir: Path | None,
    only: str,
    bench_size: int | None,
) -> None:
    """Read the notice FILE (.txt, .docx, .pdf, or - for standard input) and print its header
    and proposed tasks as JSON."""
    if bench_size is not None:
        _bench(bench_size)
        return
    if evaluate_dir is not None:
        from tracker.notices.evaluate import evaluate_folder

        for line in evaluate_folder(evaluate_dir, only=only):
            click.echo(line)
        return
    if file is None:
        raise click.UsageError("cần FILE (đường dẫn, hoặc - để đọc từ đầu vào chuẩn)")
    try:
        if file == "-":
            # Read no more than a file may hold: a notice past the cap is refused anyway.
            from tracker.notices.files import MAX_BYTES

            text = read_notice_bytes(sys.stdin.buffer.read(MAX_BYTES + 1), "stdin.txt")
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
