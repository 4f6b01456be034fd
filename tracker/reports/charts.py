"""Charts drawn on the server as SVG (pygal), readable in print and without JavaScript."""

from __future__ import annotations

import functools
import re
from xml.sax.saxutils import unescape

import pygal
from flask_babel import get_locale
from flask_babel import gettext as _
from pygal.style import Style

from tracker.reports.operations import CLASS_LABELS, REPORT_CLASSES, UnitRow

# The four classes in the colours of the task list: green, dark red, blue, red.
CLASS_COLOURS = ("#1e6b34", "#8c4a00", "#0b5cad", "#b3261e")

_STYLE = Style(
    background="#ffffff",
    plot_background="#ffffff",
    foreground="#1b1f24",
    foreground_strong="#1b1f24",
    foreground_subtle="#5b6570",
    font_family='system-ui, "Segoe UI", Roboto, "Noto Sans", Arial, sans-serif',
    label_font_size=13,
    major_label_font_size=13,
    legend_font_size=13,
    title_font_size=15,
    value_font_size=12,
    colors=CLASS_COLOURS,
)

# pygal writes an inline configuration script for its tooltips; the chart reads the same
# without it, and pages then carry no script at all.
_SCRIPT = re.compile(r"<script\b.*?</script>", re.DOTALL)
# pygal also writes its rules as a <style> inside the SVG, scoped to a random id, and hides the
# (script-driven) tooltip with a style attribute. The Content-Security-Policy refuses inline
# styles, so the rules live in static/charts.css (made by `stylesheet()`, scoped to the
# `pygal-chart` class every chart has) and the tooltip is hidden by an SVG attribute instead.
_STYLE_ELEMENT = re.compile(r"<style\b[^>]*>(.*?)</style>", re.DOTALL)
_CHART_ID = re.compile(r"#chart-[0-9a-f-]+")
_HIDDEN = 'style="opacity: 0"'
STYLESHEET_HEADER = (
    "/* pygal's chart rules, scoped to .pygal-chart: made by tracker.reports.charts.stylesheet()"
    " and\n   checked by tests/reports/test_charts.py. Do not edit by hand. */\n"
)


def _render(chart: pygal.graph.graph.Graph) -> str:
    svg = _SCRIPT.sub("", chart.render(is_unicode=True))
    svg = _STYLE_ELEMENT.sub("", svg).replace(_HIDDEN, 'opacity="0"')
    return svg.replace("<defs></defs>", "").replace("<defs/>", "")


def stylesheet() -> str:
    """The rules pygal would inline in each chart, for static/charts.css.

    Drawn from a chart with as many series as there are colours, so every colour rule is
    there; the rules are the same for every chart type the dashboard uses.
    """
    chart = pygal.StackedBar(style=_STYLE, js=[], disable_xml_declaration=True)
    for index in range(len(CLASS_COLOURS)):
        chart.add(str(index), [1])
    match = _STYLE_ELEMENT.search(chart.render(is_unicode=True))
    assert match is not None, "pygal no longer writes a <style> element"
    rules = unescape(_CHART_ID.sub(".pygal-chart", match.group(1)), {"&quot;": '"'})
    return STYLESHEET_HEADER + rules.strip() + "\n"


def _short(name: str, limit: int = 34) -> str:
    return name if len(name) <= limit else name[: limit - 1] + "…"


# The charts have no title of their own: the page captions them in HTML, which a phone
# enlarges and a screen reader reads.
# Two sizes of each chart: a wide one for screens and print, and a narrow one that a phone
# shows near its own size, so that the labels (the same pixel sizes in both) stay readable.
# The page shows one or the other (static/reports.css).
WIDE = 600
NARROW = 320


def count_ticks(top: int, most: int = 6) -> list[int]:
    """Whole-number ticks from 0 for a count axis reaching `top`: steps of 1, 2, 5, 10, 20,
    50... so that there are at most `most` of them."""
    step = 1
    while -(-max(top, 1) // step) > most - 1:
        step = next(s for s in (2 * step, 5 * step // 2, 5 * step) if s > step and _nice(s))
    last = -(-max(top, 1) // step) * step
    return list(range(0, last + 1, step))


def _nice(step: int) -> bool:
    while step % 10 == 0:
        step //= 10
    return step in (1, 2, 5)


# A chart is a pure function of what it shows, its size and the language of its labels, and
# drawing one with pygal took a third of the dashboard's time at a million tasks: the SVG of
# the last few inputs is kept per process. A changed count is a new key, so a kept chart is
# never stale.
CACHED_CHARTS = 32


@functools.lru_cache(maxsize=CACHED_CHARTS)
def _on_time_svg(_locale: str, rated: tuple[tuple[str, float], ...], narrow: bool) -> str:
    return _render(_on_time(rated, narrow))


@functools.lru_cache(maxsize=CACHED_CHARTS)
def _class_svg(
    _locale: str, series: tuple[tuple[tuple[int, int], tuple[int, ...]], ...], narrow: bool
) -> str:
    return _render(
        class_graph(
            [(ym, dict(zip(REPORT_CLASSES, c, strict=True))) for ym, c in series], narrow=narrow
        )
    )


def _locale() -> str:
    return str(get_locale() or "")


def _rated(rows: list[UnitRow], narrow: bool = False) -> tuple[tuple[str, float], ...]:
    """(unit name, on-time rate) of the units with tasks already due; on a phone the short
    name when the unit has one."""
    return tuple(
        ((r.short_name or r.unit_name) if narrow else r.unit_name, r.on_time_rate)
        for r in rows
        if r.on_time_rate is not None
    )


def on_time_chart(rows: list[UnitRow], narrow: bool = False) -> str:
    """Horizontal bars: each unit's on-time rate over tasks already due (units with none
    due are left out); "" when no unit has a task due (the page says so in words)."""
    rated = _rated(rows, narrow)
    return _on_time_svg(_locale(), rated, narrow) if rated else ""


def on_time_graph(rows: list[UnitRow], narrow: bool = False) -> pygal.graph.graph.Graph:
    """The pygal chart behind `on_time_chart`."""
    return _on_time(_rated(rows, narrow), narrow)


def _on_time(rated: tuple[tuple[str, float], ...], narrow: bool) -> pygal.graph.graph.Graph:
    chart = pygal.HorizontalBar(
        style=_STYLE,
        js=[],
        disable_xml_declaration=True,
        width=NARROW if narrow else WIDE,
        height=max(160, 70 + (30 if narrow else 34) * len(rated)),
        show_legend=False,
        range=(0, 100),
        y_labels=[0, 25, 50, 75, 100] if narrow else [0, 20, 40, 60, 80, 100],
        print_values=True,
        value_formatter=lambda v: f"{v:g}%".replace(".", ","),
        no_data_text=_("Chưa có nhiệm vụ đến hạn"),
    )
    # HorizontalBar draws the first label at the bottom; reverse so the list reads top-down.
    rated = tuple(reversed(rated))
    chart.x_labels = [_short(name, 16 if narrow else 34) for name, _rate in rated]
    # A 0 % bar has no length: its printed value would sit on the unit's name (the axis and
    # the table say 0 %).
    chart.add(
        _("Tỷ lệ đúng hạn"),
        [{"value": rate, "formatter": _blank} if rate == 0 else rate for _name, rate in rated],
    )
    return chart


def _blank(_value: float) -> str:
    return ""


def _series_key(
    series: list[tuple[tuple[int, int], dict[str, int]]],
) -> tuple[tuple[tuple[int, int], tuple[int, ...]], ...]:
    return tuple((ym, tuple(counts[k] for k in REPORT_CLASSES)) for ym, counts in series)


def class_chart(series: list[tuple[tuple[int, int], dict[str, int]]], narrow: bool = False) -> str:
    """Stacked bars: for each month, the tasks due in it, by class on the report date (on a
    phone lying down, one month a line); "" when the period has no task."""
    key = _series_key(series)
    if not any(any(counts) for _ym, counts in key):
        return ""
    return _class_svg(_locale(), key, narrow)


def month_label(year: int, month: int) -> str:
    """ "04/2017"."""
    return f"{month:02d}/{year}"


def class_graph(
    series: list[tuple[tuple[int, int], dict[str, int]]], narrow: bool = False
) -> pygal.graph.graph.Graph:
    """The pygal chart behind `class_chart`."""
    top = max((sum(counts.values()) for _ym, counts in series), default=0)
    kind = pygal.HorizontalStackedBar if narrow else pygal.StackedBar
    chart = kind(
        style=_STYLE,
        js=[],
        disable_xml_declaration=True,
        width=NARROW if narrow else WIDE,
        height=(150 + 30 * len(series)) if narrow else 340,
        legend_at_bottom=True,
        legend_at_bottom_columns=1 if narrow else 2,
        print_values=False,
        no_data_text=_("Không có nhiệm vụ"),
        y_title=None if narrow else _("Số nhiệm vụ"),
        # Counts: whole-number ticks only.
        y_labels=count_ticks(top, 5 if narrow else 6),
        range=(0, count_ticks(top, 5 if narrow else 6)[-1]),
        value_formatter=lambda v: f"{v:g}",
    )
    # Lying down, the first month is drawn at the bottom: reversed, the months read down.
    ordered = list(reversed(series)) if narrow else series
    chart.x_labels = [month_label(year, month) for (year, month), _counts in ordered]
    for kind_name in REPORT_CLASSES:
        chart.add(
            str(CLASS_LABELS[kind_name]), [counts[kind_name] or None for _ym, counts in ordered]
        )
    return chart
