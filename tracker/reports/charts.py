"""Charts drawn on the server as SVG (pygal), readable in print and without JavaScript."""

from __future__ import annotations

import re

import pygal
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


def _render(chart: pygal.graph.graph.Graph) -> str:
    return _SCRIPT.sub("", chart.render(is_unicode=True))


def _short(name: str, limit: int = 34) -> str:
    return name if len(name) <= limit else name[: limit - 1] + "…"


def on_time_chart(rows: list[UnitRow]) -> str:
    """Horizontal bars: each unit's on-time rate over tasks already due (units with none
    due are left out)."""
    rated = [r for r in rows if r.on_time_rate is not None]
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
    rated = list(reversed(rated))
    chart.x_labels = [_short(r.unit_name) for r in rated]
    chart.add(_("Tỷ lệ đúng hạn"), [r.on_time_rate for r in rated])
    return _render(chart)


def class_chart(series: list[tuple[tuple[int, int], dict[str, int]]]) -> str:
    """Stacked bars: for each month, the tasks due in it, by class today."""
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
    return _render(chart)
