"""The Content-Security-Policy refuses inline script and inline style on every HTML page."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import url_for

from tests.test_access_matrix import ROLES, _rules
from tests.test_access_matrix import objects as objects  # the fixture: one object of each kind

ROOT = Path(__file__).resolve().parents[2]
# Inline style the policy would refuse: a <style> element or a style attribute.
INLINE_STYLE = re.compile(r"<style\b|\sstyle\s*=", re.IGNORECASE)


def _directives(policy: str) -> dict[str, list[str]]:
    parts = (d.split() for d in policy.split(";") if d.strip())
    return {name: sources for name, *sources in parts}


def _check_policy(policy: str | None) -> list[str]:
    if not policy:
        return ["no Content-Security-Policy"]
    problems = []
    if "unsafe-inline" in policy or "unsafe-eval" in policy or "unsafe-hashes" in policy:
        problems.append(f"unsafe source in {policy!r}")
    directives = _directives(policy)
    for name in ("script-src", "style-src"):
        if directives.get(name) != ["'self'"]:
            problems.append(f"{name} is {directives.get(name)}")
    return problems


@pytest.mark.parametrize("role", ROLES)
def test_every_html_response_forbids_inline_style_and_script(app, world, objects, login, role):  # type: ignore[no-untyped-def]
    """Every route of the URL map, every method, as every role: each HTML answer (pages,
    403/404/405 pages, the login redirect target) carries a policy with neither inline script
    nor inline style, and its body has no inline style the policy would refuse."""
    # The access matrix's roles, with the lead unit's head and officer and the coordinating
    # unit's head (tracker/subtasks).
    users = {
        **world.people(),
        **{name: objects[name] for name in ("head", "officer", "coord_head")},
    }
    failures: list[str] = []
    checked = 0
    for rule, method in _rules(app):
        if rule.endpoint == "auth.logout":
            continue  # would end the session the rest of the walk uses
        values = {arg: objects[arg] for arg in rule.arguments}
        with app.test_request_context():
            url = url_for(rule.endpoint, **values)
        client = app.test_client() if role == "anonymous" else login(users[role])
        response = client.open(url, method=method, data={}, follow_redirects=method == "GET")
        if response.mimetype != "text/html":
            continue
        checked += 1
        where = f"{method} {url} as {role} ({response.status_code})"
        failures += [
            f"{where}: {p}" for p in _check_policy(response.headers.get("Content-Security-Policy"))
        ]
        match = INLINE_STYLE.search(response.get_data(as_text=True))
        if match:
            failures.append(f"{where}: inline style {match.group(0)!r}")
    assert checked > 20
    assert failures == []


def test_error_pages_forbid_inline_style(client, world) -> None:
    for url in ("/no-such-page", "/reports/?period=2017-Q5"):
        response = client.get(url, follow_redirects=True)
        assert response.mimetype == "text/html"
        assert _check_policy(response.headers["Content-Security-Policy"]) == []


def test_no_template_uses_inline_style() -> None:
    """Templates served as pages hold no <style> and no style="": the browser would refuse
    them. E-mails are not served with the policy and keep their inline styles (mail clients
    ignore stylesheets)."""
    offenders = []
    for path in sorted((ROOT / "templates").rglob("*.html")):
        relative = path.relative_to(ROOT / "templates")
        if "email" in relative.parts:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if INLINE_STYLE.search(line):
                offenders.append(f"templates/{relative}:{number}")
    assert offenders == []
    # The e-mail templates are still there with their styles: the check above skips real files.
    assert any(
        "style=" in p.read_text(encoding="utf-8")
        for p in (ROOT / "templates").rglob("email/*.html")
    )
