"""What every key page must satisfy: one h1, a label on every field, no sideways scrolling at
360 px, no serious axe-core violation, a quick answer; and its screenshots at both widths."""

from __future__ import annotations

import itertools
import json
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from playwright.sync_api import Page

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 360, "height": 740}

# Fields with no accessible name: every input, select and textarea a person can fill.
UNLABELLED_JS = """() => {
  const out = [];
  for (const el of document.querySelectorAll('input, select, textarea')) {
    const type = (el.getAttribute('type') || '').toLowerCase();
    if (['hidden', 'submit', 'button', 'reset', 'image'].includes(type)) continue;
    const named = (el.labels && el.labels.length) || el.getAttribute('aria-label')
      || el.getAttribute('aria-labelledby') || el.getAttribute('title');
    if (!named) out.push(el.outerHTML.slice(0, 120));
  }
  return out;
}"""

# The page's own width beyond the viewport: wide tables must scroll inside .table-wrap.
OVERFLOW_JS = """() => {
  const doc = document.scrollingElement;
  const wide = [];
  if (doc.scrollWidth > window.innerWidth) {
    for (const el of document.body.querySelectorAll('*')) {
      const r = el.getBoundingClientRect();
      if (r.right > window.innerWidth + 1 && !el.closest('.table-wrap')) {
        wide.push(el.tagName.toLowerCase() + (el.className ? '.' + el.className : ''));
      }
    }
  }
  return {scrollWidth: doc.scrollWidth, innerWidth: window.innerWidth, wide: wide.slice(0, 8)};
}"""

# Headings never skip a level, and keyboard focus is drawn.
HEADINGS_JS = """() => [...document.querySelectorAll('h1, h2, h3, h4, h5, h6')]
  .map(h => Number(h.tagName[1]))"""
FOCUS_JS = """() => {
  const el = document.activeElement, style = getComputedStyle(el), box = el.getBoundingClientRect();
  return {tag: el.tagName.toLowerCase(), cls: el.className, outline: style.outlineStyle,
          width: parseFloat(style.outlineWidth), visible: box.width > 0 && box.height > 0
          && box.left >= 0 && box.top >= 0};
}"""
ISO_DATE = re.compile(r"\b(19|20)\d\d-\d\d-\d\d\b")

TIMING_JS = """() => {
  const nav = performance.getEntriesByType('navigation')[0];
  return nav ? {response: nav.responseEnd - nav.requestStart,
                loaded: nav.loadEventEnd - nav.startTime} : null;
}"""


@dataclass
class PageChecks:
    """Runs the checks on each key page and keeps what it measured."""

    artifacts: Path
    axe_script: Path | None
    timings: dict[str, dict[str, float]] = field(default_factory=dict)
    operations: dict[str, float] = field(default_factory=dict)
    axe_results: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    screenshots: list[Path] = field(default_factory=list)
    axe_source: str = ""
    readme_dir: Path | None = None

    def __post_init__(self) -> None:
        if self.axe_script is not None:
            self.axe_source = self.axe_script.read_text(encoding="utf-8")

    def check(self, page: Page, name: str) -> None:
        """Check the page now shown and screenshot it at desktop and phone widths."""
        page.wait_for_load_state("load")
        assert page.locator("h1").count() == 1, f"{name}: one h1 expected"
        unlabelled = page.evaluate(UNLABELLED_JS)
        assert not unlabelled, f"{name}: fields without a label: {unlabelled}"
        assert page.locator("html[lang]").count() == 1
        levels = page.evaluate(HEADINGS_JS)
        assert levels and levels[0] == 1, f"{name}: the first heading is not the h1: {levels}"
        skipped = [(a, b) for a, b in itertools.pairwise(levels) if b > a + 1]
        assert not skipped, f"{name}: heading levels skip: {levels}"
        shown = page.locator("main").inner_text()
        assert not ISO_DATE.search(shown), (
            f"{name}: a date not as dd/mm/yyyy: {ISO_DATE.search(shown)}"
        )
        self._focus(page, name)
        timing = page.evaluate(TIMING_JS) or {}
        # The same page again, warm: what a person waits for on their second visit.
        began = time.perf_counter()
        again = page.request.get(page.url)
        assert again.ok, f"{name}: {again.status}"
        timing["warm"] = (time.perf_counter() - began) * 1000
        self.timings[name] = {k: round(v, 1) for k, v in timing.items()}
        self._axe(page, name)
        original = page.viewport_size or DESKTOP
        phone_first = original["width"] <= PHONE["width"]
        for label, size in (
            (("phone", PHONE), ("desktop", DESKTOP))
            if phone_first
            else (
                ("desktop", DESKTOP),
                ("phone", PHONE),
            )
        ):
            if page.viewport_size != size:
                page.set_viewport_size(size)
            if label == "phone":
                overflow = page.evaluate(OVERFLOW_JS)
                assert overflow["scrollWidth"] <= overflow["innerWidth"], (
                    f"{name}: scrolls sideways at {PHONE['width']} px: {overflow}"
                )
            path = self.artifacts / f"{name}-{label}.png"
            page.screenshot(path=str(path), full_page=True)
            self.screenshots.append(path)
        if page.viewport_size != original:
            page.set_viewport_size(original)

    def _focus(self, page: Page, name: str) -> None:
        # From the top of the page, Tab reaches the skip link first, drawn with an outline.
        page.evaluate(
            """() => { const start = document.createElement('span');
              start.id = 'focus-start'; start.tabIndex = -1;
              document.body.prepend(start); start.focus(); window.scrollTo(0, 0); }"""
        )
        page.keyboard.press("Tab")
        page.evaluate("() => document.getElementById('focus-start').remove()")
        focus = page.evaluate(FOCUS_JS)
        assert focus["cls"] == "skip", f"{name}: first Tab lands on {focus}"
        assert focus["visible"] and focus["outline"] != "none" and focus["width"] >= 2, focus
        page.keyboard.press("Tab")
        focus = page.evaluate(FOCUS_JS)
        assert focus["outline"] != "none" and focus["width"] >= 2, f"{name}: {focus}"
        page.evaluate("() => document.activeElement.blur()")

    def readme_shot(
        self, page: Page, name: str, size: dict[str, int], start: str | None = None
    ) -> None:
        """A small screenshot for the README (docs/screenshots/), when asked to refresh them;
        from the top of the page, or from the element `start` selects."""
        if self.readme_dir is None:
            return
        original = page.viewport_size
        page.set_viewport_size(size)
        if start:
            page.locator(start).first.evaluate("el => el.scrollIntoView()")
        else:
            page.evaluate("() => window.scrollTo(0, 0)")
        path = self.readme_dir / f"{name}.png"
        page.screenshot(path=str(path))
        assert path.stat().st_size < 150_000, f"{path} is {path.stat().st_size} bytes"
        if original:
            page.set_viewport_size(original)

    def _axe(self, page: Page, name: str) -> None:
        if self.axe_script is None:
            return
        # Evaluated rather than added as a <script>: the app's CSP rightly refuses inline
        # scripts, and the check must not weaken it (no bypass_csp).
        if not page.evaluate("() => typeof window.axe === 'object'"):
            page.evaluate(self.axe_source)
        result = page.evaluate(
            """async () => {
              const r = await axe.run(document, {resultTypes: ['violations']});
              return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}));
            }"""
        )
        self.axe_results[name] = result
        serious = [v for v in result if v["impact"] in ("serious", "critical")]
        assert not serious, (
            f"{name}: axe-core violations: {json.dumps(serious, ensure_ascii=False)}"
        )

    def write_report(self) -> None:
        """Keep the measurements beside the screenshots."""
        report = {
            "timings_ms": self.timings,
            "operations_ms": self.operations,
            "axe": self.axe_results if self.axe_script else "axe-core not available",
            "screenshots": [p.name for p in self.screenshots],
        }
        (self.artifacts / "report.json").write_text(
            json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8"
        )
