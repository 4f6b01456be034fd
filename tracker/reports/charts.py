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


# A chart is a pure function of what it shows and the language of its labels, and drawing one
# with pygal took a third of the dashboard's time at a million tasks: the SVG of the last few
# inputs is kept per process. A changed count is a new key, so a kept chart is never stale.
CACHED_CHARTS = 32


@functools.lru_cache(maxsize=CACHED_CHARTS)
def _on_time_svg(_locale: str, rated: tuple[tuple[str, float], ...]) -> str:
    return _render(_on_time(rated))


@functools.lru_cache(maxsize=CACHED_CHARTS)
def _class_svg(_locale: str, series: tuple[tuple[tuple[int, int], tuple[int, ...]], ...]) -> str:
    return _render(
        class_graph([(ym, dict(zip(REPORT_CLASSES, c, strict=True))) for ym, c in series])
    )


def _locale() -> str:
    return str(get_locale() or "")


def _rated(rows: list[UnitRow]) -> tuple[tuple[str, float], ...]:
    """(unit name, on-time rate) of the units with tasks already due."""
    return tuple((r.unit_name, r.on_time_rate) for r in rows if r.on_time_rate is not None)


def on_time_chart(rows: list[UnitRow]) -> str:
    """Horizontal bars: each unit's on-time rate over tasks already due (units with none
    due are left out)."""
    return _on_time_svg(_locale(), _rated(rows))


def on_time_graph(rows: list[UnitRow]) -> pygal.graph.graph.Graph:
    """The pygal chart behind `on_time_chart`."""
    return _on_time(_rated(rows))


def _on_time(rated: tuple[tuple[str, float], ...]) -> pygal.graph.graph.Graph:
    chart = pygal.HorizontalBar(
        style=_STYLE,
        js=[],
        disable_xml_declaration=True,
        width=760,
        height=max(160, 60 + 34 * len(rated)),
        show_legend=False,
        range=(0, 100),
        print_values=True,
        value_formatter=lambda v: f"{v:g}%".replace(".", ","),
        title=_("Tỷ lệ hoàn thành đúng hạn theo đơn vị (%)"),
        no_data_text=_("Chưa có nhiệm vụ đến hạn"),
    )
    # HorizontalBar draws the first label at the bottom; reverse so the list reads top-down.
    rated = tuple(reversed(rated))
    chart.x_labels = [_short(name) for name, _rate in rated]
    chart.add(_("Tỷ lệ đúng hạn"), [rate for _name, rate in rated])
    return chart


def class_chart(series: list[tuple[tuple[int, int], dict[str, int]]]) -> str:
    """Stacked bars: for each month, the tasks due in it, by class today."""
    key = tuple((ym, tuple(counts[k] for k in REPORT_CLASSES)) for ym, counts in series)
    return _class_svg(_locale(), key)


def class_graph(series: list[tuple[tuple[int, int], dict[str, int]]]) -> pygal.graph.graph.Graph:
    """The pygal chart behind `class_chart`."""
    chart = pygal.StackedBar(
        style=_STYLE,
        js=[],
        disable_xml_declaration=True,
        width=760,
        height=340,
        legend_at_bottom=True,
        legend_at_bottom_columns=2,
        print_values=False,
        title=_("Nhiệm vụ theo thời hạn và tình trạng"),
        no_data_text=_("Không có nhiệm vụ"),
        y_title=_("Số nhiệm vụ"),
    )
    chart.x_labels = [f"{month:02d}/{year}" for (year, month), _counts in series]
    for kind in REPORT_CLASSES:
        chart.add(str(CLASS_LABELS[kind]), [counts[kind] or None for _ym, counts in series])
    return chart
