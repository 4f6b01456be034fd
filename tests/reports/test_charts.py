"""Charts and progress bars that need no inline style (the CSP refuses it) and read the same."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest
from flask_babel import force_locale

from tracker.reports import charts
from tracker.reports.operations import REPORT_CLASSES, UnitRow

ROOT = Path(__file__).resolve().parents[2]
RULE = re.compile(r"[^{}]+\{[^{}]*\}")


def _rules(css: str) -> set[str]:
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.DOTALL)
    return {rule.strip() for rule in RULE.findall(css)}


def _inline_rules(svg: str) -> set[str]:
    """The rules pygal writes into a chart, scoped the way static/charts.css scopes them."""
    css = re.search(r"<style[^>]*>(.*?)</style>", svg, re.DOTALL)
    assert css is not None
    scoped = re.sub(r"#chart-[0-9a-f-]+", ".pygal-chart", css.group(1))
    return _rules(scoped.replace("&gt;", ">").replace("&quot;", '"'))


def test_static_stylesheet_is_what_pygal_writes() -> None:
    expected = charts.stylesheet()
    assert (ROOT / "static" / "charts.css").read_text(encoding="utf-8") == expected, (
        "static/charts.css is out of date (pygal or the chart style changed): run\n"
        "  .venv/bin/python -c 'from tracker.reports.charts import stylesheet; "
        'open("static/charts.css", "w").write(stylesheet())\''
    )


@pytest.fixture
def sample() -> tuple[list[UnitRow], list[tuple[tuple[int, int], dict[str, int]]]]:
    rows = [UnitRow(1, "Phòng Nội vụ", 4, 4, 3, 1), UnitRow(2, "Phòng Tư pháp", 2, 2, 0, 0, 1, 1)]
    series = [
        ((2017, month), {k: month + i for i, k in enumerate(REPORT_CLASSES)}) for month in (4, 5)
    ]
    return rows, series


def test_every_rule_of_every_chart_is_in_the_stylesheet(app, sample) -> None:
    rows, series = sample
    sheet = _rules(charts.stylesheet())
    with app.test_request_context():
        for graph in (
            charts.on_time_graph(rows),
            charts.on_time_graph([]),
            charts.class_graph(series),
            charts.class_graph([]),
            charts.on_time_graph(rows, narrow=True),
            charts.class_graph(series, narrow=True),
        ):
            missing = _inline_rules(graph.render(is_unicode=True)) - sheet
            assert missing == set()


def test_charts_carry_no_style_and_no_script(app, sample) -> None:
    rows, series = sample
    with app.test_request_context():
        for svg in (
            charts.on_time_chart(rows),
            charts.class_chart(series),
            charts.on_time_chart(rows, narrow=True),
            charts.class_chart(series, narrow=True),
        ):
            assert "<style" not in svg and "style=" not in svg and "<script" not in svg
            assert 'class="pygal-chart"' in svg
            # The tooltip pygal hides with a style attribute stays hidden, by an SVG attribute.
            assert 'opacity="0" class="tooltip"' in svg
        on_time = charts.on_time_chart(rows)
    # The same numbers as before: 75% and 0% printed on the bars.
    assert ">75%<" in on_time and ">0%<" in on_time


def test_dashboard_has_no_inline_style_and_the_same_bars(login, data) -> None:
    html = login(data.office).get("/reports/?period=2017-Q2").get_data(as_text=True)
    assert "<style" not in html and "style=" not in html
    assert "/static/charts.css" in html
    rows = [r for r in re.findall(r"<tr>.*?</tr>", html, re.DOTALL) if 'class="bar"' in r]
    assert rows
    for row in rows:
        total = int(re.search(r'<td class="num"[^>]*>(\d+)</td>', row).group(1))  # type: ignore[union-attr]
        rects = re.findall(
            r'<rect class="c-(\w+)" x="([\d.]+)" y="0" width="([\d.]+)" height="10">'
            r"<title>[^<:]+: (\d+)</title></rect>",
            row,
        )
        assert rects, row
        # Segments follow one another, fill the bar, and are sized by their share.
        x = 0.0
        for _kind, left, width, count in rects:
            assert float(left) == pytest.approx(x, abs=0.01)
            assert float(width) == pytest.approx(100 * int(count) / total, abs=0.01)
            x += float(width)
        assert x == pytest.approx(100, abs=0.05)
        assert sum(int(count) for *_rest, count in rects) == total


def test_a_kept_chart_is_never_the_wrong_one(app, sample) -> None:
    """Charts are kept per process by what they show and the language: other numbers or
    another language draw anew."""
    rows, series = sample
    with app.test_request_context():
        first = charts.on_time_chart(rows)
        assert charts.on_time_chart(rows) is first  # kept
        rows[0].done_on_time = 2
        changed = charts.on_time_chart(rows)
        monthly = charts.class_chart(series)
        series[0][1][REPORT_CLASSES[0]] = 999
        monthly_changed = charts.class_chart(series)
    assert ">75%<" in first and ">50%<" in changed and ">75%<" not in changed
    assert monthly_changed != monthly and "999" in monthly_changed
    with app.test_request_context():
        assert charts.on_time_chart(rows) is changed
    with app.test_request_context(), force_locale("en"):
        english = charts.on_time_chart(rows)
    # Drawn anew for the other language (the kept Vietnamese one is the same object).
    assert english is not changed


def _axis_labels(svg: str) -> list[str]:
    """The texts of the value axis (pygal marks its ends "major")."""
    return re.findall(r'<text[^>]*class="(?:major)?">([^<]*)</text>', svg)


@pytest.mark.parametrize("narrow", [False, True])
def test_count_axes_tick_whole_numbers(app, narrow: bool) -> None:
    for top in (1, 3, 7, 12, 23, 130):
        series = [((2017, 4), dict(zip(REPORT_CLASSES, (top, 0, 0, 0), strict=True)))]
        with app.test_request_context():
            svg = charts.class_chart(series, narrow=narrow)
        ticks = [label for label in _axis_labels(svg) if "/" not in label]
        assert ticks, svg
        assert all(label.isdigit() for label in ticks), ticks
        numbers = [int(label) for label in ticks]
        assert numbers[0] == 0 and numbers[-1] >= top and len(numbers) <= 6
        assert len(set(b - a for a, b in itertools.pairwise(numbers))) == 1


def test_count_ticks() -> None:
    assert charts.count_ticks(0) == [0, 1]
    assert charts.count_ticks(3) == [0, 1, 2, 3]
    assert charts.count_ticks(7) == [0, 2, 4, 6, 8]
    assert charts.count_ticks(48) == [0, 10, 20, 30, 40, 50]
    assert charts.count_ticks(999) == [0, 200, 400, 600, 800, 1000]


def test_nothing_to_draw_gives_no_chart(app) -> None:
    empty = [((2017, m), dict.fromkeys(REPORT_CLASSES, 0)) for m in (4, 5, 6)]
    with app.test_request_context():
        assert charts.class_chart(empty) == "" and charts.class_chart([]) == ""
        assert charts.on_time_chart([UnitRow(1, "Phòng Nội vụ", 3)]) == ""


def test_narrow_charts_use_short_names_and_months_down(app, sample) -> None:
    rows, series = sample
    rows[0].short_name = "Nội vụ"
    with app.test_request_context():
        narrow = charts.on_time_chart(rows, narrow=True)
        wide = charts.on_time_chart(rows)
        months = charts.class_chart(series, narrow=True)
    assert ">Nội vụ<" in narrow and ">Phòng Nội vụ<" not in narrow
    assert ">Phòng Nội vụ<" in wide
    assert 'viewBox="0 0 320 ' in narrow and 'viewBox="0 0 600 ' in wide
    # Lying down, April is drawn above May.
    y = {
        label: float(top)
        for top, label in re.findall(r'<text x="[^"]+" y="([^"]+)"[^>]*>(\d\d/2017)</text>', months)
    }
    assert y["04/2017"] < y["05/2017"]


def test_dashboard_charts_have_a_table_and_a_small_empty_state(login, data) -> None:
    client = login(data.office)
    html = client.get("/reports/?period=2017-Q2").get_data(as_text=True)
    assert html.count('class="chart-wide"') == 2 and html.count('class="chart-narrow"') == 2
    assert html.count("<summary>Xem số liệu dạng bảng</summary>") == 2
    table = html.split('id="chart-classes-caption"')[1].split("</table>")[0]
    # April: 4 done on time, 1 late, 2 open in time, 3 overdue in the fixed dataset (see
    # test_operations.test_class_series).
    april = re.search(r'<th scope="row">04/2017</th>(.*?)</tr>', table, re.DOTALL)
    assert april is not None
    cells = re.findall(r'data-label="([^"]+)">(\d+)</td>', april.group(1))
    assert cells == [
        ("Hoàn thành đúng hạn", "4"),
        ("Hoàn thành quá hạn", "1"),
        ("Chưa hoàn thành trong hạn", "2"),
        ("Chưa hoàn thành quá hạn", "3"),
        ("Tổng số", "10"),
    ]
    unit_table = html.split('id="chart-on-time-caption"')[1].split("</table>")[0]
    assert '<th scope="row">Phòng Nội vụ</th><td class="num" data-label="Tỷ lệ đúng hạn">33,3%' in (
        unit_table
    )
    # A period without tasks: no chart, a sentence.
    empty = client.get("/reports/?period=2019-Q1").get_data(as_text=True)
    assert 'class="chart-wide"' not in empty and "<svg" not in empty.split("report-grid")[1][:3000]
    assert "Chưa có nhiệm vụ nào đến hạn trong kỳ, nên chưa có tỷ lệ." in empty
    assert "Không có nhiệm vụ nào có thời hạn trong kỳ." in empty
