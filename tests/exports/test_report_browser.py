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


# ---- summary first, grouped sections, trend, filtering (issue 14) ---------------------------------

@pytest.fixture(scope="module")
def audit_report(tmp_path_factory):
    """A demo-like export: two audits (the earlier one failed differently: a trend), a denied
    unit, and a drift item whose security group gained an RDP rule from anywhere."""
    import orjson
    from sqlalchemy import delete

    from auditor.store.schema import findings
    from tests.store.helpers import set_unit_status

    d = tmp_path_factory.mktemp("audit-report")
    url = f"sqlite:///{d / 'inv.db'}"
    first = seed_store(url)
    first.engine.dispose()
    seeded = seed_store(url)  # the second audit of the same estate
    assert seeded.snapshot_id > first.snapshot_id
    with seeded.engine.begin() as c:
        # previous audit: the critical SSH finding did not fail yet, a since-fixed one did
        c.execute(delete(findings).where(findings.c.snapshot_id == first.snapshot_id,
                                         findings.c.rule_id == "network.ssh_open_world"))
        c.execute(findings.insert().values(
            snapshot_id=first.snapshot_id, finding_id="fixed-1", rule_id="iam.user_without_mfa", title="t",
            severity="high", status="FAIL", provider="aws", account="111111111111", region="global",
            resource_key="aws|fixed", native_id="arn:aws:iam::111111111111:user/fixed", message="m",
            evidence="{}", frameworks="{}"))
        assert set_unit_status(c, seeded.snapshot_id, "azure.storage.account", "denied",
                               "AuthorizationFailed: the client may not list storage accounts")
    sg = seeded.resources[1]
    seeded.drift.items.append(type(seeded.drift.items[0])({
        "resource_key": sg.resource_key, "native_id": sg.native_id, "provider": "aws", "account": sg.account,
        "region": sg.region, "type": "aws.ec2.security_group", "change": "modified", "severity": "critical",
        "changes": [{"path": "config.IpPermissions", "before": [], "after": [{"IpProtocol": "tcp"}]}],
        "element_changes": [{"path": "config.IpPermissions", "op": "added", "text": "tcp/3389 from 0.0.0.0/0",
                             "value": {"IpProtocol": "tcp", "FromPort": 3389}}]}))
    result = export_snapshot(seeded.engine, seeded.snapshot_id, d / "out", ["html"], drift_report=seeded.drift)
    seeded.engine.dispose()
    _ = orjson
    return result.out_dir / "report.html"


STRUCTURE_JS = """
(() => {
  const top = el => el.getBoundingClientRect().top + scrollY;
  const sections = [...document.querySelectorAll('main > section')];
  const summary = document.getElementById('summary');
  const r = summary.getBoundingClientRect();
  return {
    order: sections.map(s => s.id),
    collapsible: sections.every(s => s.querySelector(':scope > details > summary h2')),
    summaryBottom: r.bottom + scrollY, summaryTop: top(summary),
    cards: [...summary.querySelectorAll('.card')].map(c => c.textContent),
    summaryText: summary.textContent,
    groups: [...document.querySelectorAll('#finding-groups > details.group')].map(g => g.id),
    drift: document.getElementById('drift').textContent,
    coverage: document.getElementById('coverage').textContent,
    width: document.documentElement.scrollWidth,
    ready: document.documentElement.getAttribute('data-report-ready'),
  };
})()
"""


def test_summary_first_above_the_fold_with_grouped_linkable_sections(browser, audit_report, tmp_path):
    session = browser.page(1280, 800)
    browser.call("Page.navigate", {"url": audit_report.resolve().as_uri()}, session=session)
    browser.wait_for("Page.loadEventFired", session=session)
    info = browser.evaluate(session, STRUCTURE_JS)
    assert info["ready"] == "1", "the inline script did not run (is its hash in the CSP?)"
    assert console_problems(browser, session) == []
    assert [u for u in requested_urls(browser, session) if not u.startswith(("file://", "data:"))] == []

    assert info["order"][0] == "summary" and sorted(info["order"]) == sorted(SECTIONS)
    assert info["collapsible"]
    assert info["summaryBottom"] <= 800, f"the summary ends at {info['summaryBottom']}px, below a 1280x800 screen"
    assert info["width"] <= 1280, "the report scrolls sideways at 1280 px"
    text = info["summaryText"]
    for needle in ("collection units complete", "units not collected", "failing findings", "drift",
                   "cross-cloud", "residency violations", "since the previous audit"):
        assert needle in text, needle
    assert "+1 new" in text and "1 resolved" in text  # SSH failure is new, the MFA one was fixed

    assert info["groups"][0] == "rule-network.ssh_open_world"  # critical first
    assert "+ tcp/3389 from 0.0.0.0/0" in info["drift"]
    assert "denied" in info["coverage"].lower() and "AuthorizationFailed" in info["coverage"]

    # screenshots for people (CI artifacts), in the test's tmp dir
    shot = browser.call("Page.captureScreenshot", {"format": "png"}, session=session)
    import base64

    fold = tmp_path / "report-1280x800.png"
    fold.write_bytes(base64.b64decode(shot["data"]))
    w, h, _rows = decode_png(fold.read_bytes())
    assert (w, h) == (1280, 800)
    full = browser.evaluate(session, "[document.documentElement.scrollWidth, document.documentElement.scrollHeight]")
    (tmp_path / "report-full.png").write_bytes(
        browser.screenshot(session, {"x": 0, "y": 0, "width": full[0], "height": full[1], "scale": SCALE}))

    # a link to a rule opens its group
    browser.evaluate(session, "location.hash = '#rule-network.ssh_open_world'; 1")
    assert browser.evaluate(session, "document.getElementById('rule-network.ssh_open_world').open") is True

    # printable: a PDF with every group expanded while printing
    pdf = browser.call("Page.printToPDF", {"printBackground": True}, session=session, timeout=60)
    assert len(base64.b64decode(pdf["data"])) > 5_000


FILTER_JS = """
(() => {
  const input = document.querySelector('input.filter[data-target="finding-groups"]');
  const visible = () => [...document.querySelectorAll('#finding-groups > .group')]
                        .filter(g => g.style.display !== 'none').map(g => g.id);
  const before = visible();
  input.value = 'residency'; input.dispatchEvent(new Event('input'));
  const filtered = visible();
  input.value = ''; input.dispatchEvent(new Event('input'));
  const sel = document.querySelector('select.sorter');
  sel.value = 'name'; sel.dispatchEvent(new Event('change'));
  const byName = visible();
  return {before, filtered, byName, after: visible().length};
})()
"""


def test_filter_and_sort_work_client_side(browser, audit_report):
    session = _load(browser, audit_report)
    r = browser.evaluate(session, FILTER_JS)
    assert len(r["before"]) >= 3
    assert r["filtered"] == ["rule-residency.replica_outside_allowed"]
    assert r["byName"] == sorted(r["before"])
    assert r["after"] == len(r["before"])
    assert [u for u in requested_urls(browser, session) if not u.startswith(("file://", "data:"))] == []
