"""Forms of the hand-down: giving a part of a task, reporting on it, deciding on it."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, TextAreaField

from tracker.core.forms import (
    DateInput,
    Select,
    WholeNumber,
    max_length,
    optional,
    percent,
    required,
)
from tracker.subtasks.operations import MAX_CONTENT_CHARS, MAX_NOTE_CHARS


class SubtaskForm(FlaskForm):
    # "u<id>" for an officer, "c<id>" for a child unit: one list, one choice.
    assignee = Select(_l("Giao cho"))
    content = TextAreaField(
        _l("Nội dung công việc"),
        validators=[required(), max_length(MAX_CONTENT_CHARS)],
        render_kw={"rows": 3},
    )
    deadline = DateInput(_l("Thời hạn"), validators=[required()])
    # The parent task's version as the head saw it: a task changed meanwhile (new deadline,
    # cancelled) answers 409 rather than taking a part the head did not mean.
    version = HiddenField()


class SubtaskReportForm(FlaskForm):
    note = TextAreaField(
        _l("Nội dung báo cáo"),
        validators=[optional(), max_length(MAX_NOTE_CHARS)],
        render_kw={"rows": 3},
    )
    progress = WholeNumber(
        _l("Tiến độ (%)"),
        validators=[optional(), percent()],
        render_kw={"min": 0, "max": 100, "step": 5, "inputmode": "numeric"},
    )
    version = HiddenField()


class SubtaskDecisionForm(FlaskForm):
    reason = TextAreaField(
        _l("Lý do / ý kiến"),
        validators=[optional(), max_length(MAX_NOTE_CHARS)],
        render_kw={"rows": 2},
    )
    version = HiddenField()


class SubtaskEditForm(SubtaskForm):
    # The same fields as giving a part; `version` is the part's own here (a part reported on
    # or changed meanwhile answers 409 with the form as typed).
    pass
