"""The HTML report in a real headless Chromium (Debian's package), driven over CDP.

It must render with every section visible, log no console error, fetch nothing beyond
its own file:// URL, and show the trust graph as a picture. Outside CI the test skips
when Chromium is not installed; in CI (env CI set) a missing Chromium is a failure.
"""

from __future__ import annotations

import os

import pytest

from auditor.exports.bundle import export_snapshot
from auditor.exports.html import SECTIONS

from .cdp import Browser, console_problems, decode_png, find_chromium, requested_urls
from .conftest import seed_store

SCALE = 0.25  # screenshot scale: enough to see rendered content, small enough to decode fast


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    exe = find_chromium()
    if exe is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is required in CI (apt-get install -y chromium) for the HTML report browser test")
        pytest.skip("chromium is not installed (apt-get install -y chromium); CI runs this test")
    b = Browser(exe, tmp_path_factory.mktemp("chromium-profile"))
    try:
        yield b
    finally:
        b.close()


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    d = tmp_path_factory.mktemp("report")
    seeded = seed_store(f"sqlite:///{d / 'inv.db'}")
    result = export_snapshot(seeded.engine, seeded.snapshot_id, d / "out", ["html"], drift_report=seeded.drift)
    seeded.engine.dispose()
    return result.out_dir / "report.html"


def _load(browser: Browser, path) -> str:
    session = browser.page()
    url = path.resolve().as_uri()
    browser.call("Page.navigate", {"url": url}, session=session)
    browser.wait_for("Page.loadEventFired", session=session)
    return session


BOXES_JS = """
(() => {
  const box = el => { const r = el.getBoundingClientRect();
                      return {x: r.left + scrollX, y: r.top + scrollY, w: r.width, h: r.height}; };
  const out = {};
  document.querySelectorAll('section[data-section]').forEach(s => { out[s.id] = box(s); });
  const svg = document.querySelector('svg.trust-graph');
  return {sections: out, svg: svg ? box(svg) : null,
          nodes: document.querySelectorAll('svg.trust-graph g.tg-node').length,
          edges: document.querySelectorAll('svg.trust-graph path.tg-edge').length,
          ready: document.documentElement.getAttribute('data-report-ready'),
          width: document.documentElement.scrollWidth, height: document.documentElement.scrollHeight};
})()
"""


def _region_colours(rows, box) -> set[tuple[int, int, int]]:
    x0, y0 = int(box["x"] * SCALE), int(box["y"] * SCALE)
    x1, y1 = int((box["x"] + box["w"]) * SCALE), int((box["y"] + box["h"]) * SCALE)
    return {px for row in rows[y0:y1] for px in row[x0:x1]}


def test_report_renders_offline_without_errors_and_shows_every_section(browser, report):
    session = _load(browser, report)
    info = browser.evaluate(session, BOXES_JS)
    assert info["ready"] == "1", "the report's inline script did not run"
    assert console_problems(browser, session) == []
    urls = requested_urls(browser, session)
    assert urls and urls[0] == report.resolve().as_uri()
    assert [u for u in urls if not u.startswith(("file://", "data:"))] == []

    assert sorted(info["sections"]) == sorted(SECTIONS)
    for sid, box in info["sections"].items():
        assert box["w"] > 200 and box["h"] > 40, f"section {sid} is not visible: {box}"
    assert info["svg"] and info["svg"]["w"] > 300 and info["svg"]["h"] > 100
    assert info["nodes"] == 5 and info["edges"] == 3

    width, height = info["width"], info["height"]
    png = browser.screenshot(session, {"x": 0, "y": 0, "width": width, "height": height, "scale": SCALE})
    w, h, rows = decode_png(png)
    assert abs(w - width * SCALE) <= 2 and abs(h - height * SCALE) <= 2
    for sid, box in info["sections"].items():
        assert (box["y"] + box["h"]) * SCALE <= h + 1, f"section {sid} lies outside the screenshot"
        assert len(_region_colours(rows, box)) > 8, f"section {sid} rendered blank in the screenshot"
    graph = _region_colours(rows, info["svg"])
    assert any(r > g + 60 and r > b + 60 for r, g, b in graph), "no cross-cloud (red) edge drawn in the trust graph"


def test_the_harness_catches_console_errors_and_network_fetches(browser, tmp_path):
    page = tmp_path / "bad.html"
    page.write_text('<!DOCTYPE html><html><body><img src="http://127.0.0.1:9/x.png">'
                    "<script>console.error('boom')</script></body></html>")
    session = _load(browser, page)
    assert any("boom" in p for p in console_problems(browser, session))
    assert "http://127.0.0.1:9/x.png" in requested_urls(browser, session)
