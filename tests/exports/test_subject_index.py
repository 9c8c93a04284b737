"""The export's on-disk subject index gives exactly the in-memory framework and compliance
views (which stay the reference), and the streamed files equal the files written whole."""

from __future__ import annotations

import random

import orjson

from auditor.exports.compliance_view import compliance_view, indexed_compliance_view
from auditor.exports.files import dumps, write_json_items, write_json_list
from auditor.exports.framework_view import framework_view
from auditor.exports.json import spliced_control
from auditor.exports.subjects import SubjectIndex
from auditor.rules.frameworks import _parse

# Keys Python and SQLite could order differently if either compared other than by code point.
KEYS = ["b", "a", "B", "a|x", "a-x", "\u00e9t\u00e9", "\u4e2d", "z\U0001f600", "=cmd", "a b", "a\"q", "", None]
STATUSES = ["PASS", "FAIL", "UNKNOWN", "fail", "weird", None]
MAPS = [{"CIS-AWS-9.9": ["1", "2"], "SOC2": ["CC6.1"]}, {"CIS-GCP-9.9": ["1"]}, {"SOC2": ["CC6.1", "CC6.10"]}, {}]


def _findings(n: int, seed: int) -> list[dict]:
    rnd = random.Random(seed)
    out = []
    for i in range(n):
        status = rnd.choice(STATUSES)
        out.append({"finding_id": f"f{i}", "rule_id": rnd.choice(["r.one", "r.two", "residency.x"]),
                    "provider": rnd.choice(["aws", "gcp", "azure", None]), "resource_key": rnd.choice(KEYS),
                    "status": status.upper() if status in ("PASS", "FAIL", "UNKNOWN") else status,
                    "frameworks": rnd.choice(MAPS)})
    return out


def _table(key: str) -> object:
    return _parse(f"{key}.csv", f"# framework: {key}\n# title: t\n# source: s\ncontrol_id,title,rules,upstream,note\n"
                                "1,one,r.one,automated,\n2,both,r.one;r.two,automated,\n3,none,,manual,\n")


def test_index_framework_view_equals_the_in_memory_view() -> None:
    for seed in range(5):
        findings = _findings(300, seed)
        want = framework_view(findings)
        got = SubjectIndex(findings).framework_view()
        assert [c.as_dict() for c in got] == [c.as_dict() for c in want]
        assert [(len(c.failing), len(c.unknown_resources), len(c.passing)) for c in got] == \
            [(c.failed, c.unknown, c.passed) for c in want]


def test_index_compliance_view_equals_the_in_memory_view_with_capped_lists() -> None:
    tables = [_table("CIS-AWS-9.9"), _table("CIS-GCP-9.9"), _table("SOC2-X")]
    registry = {"r.one": object(), "r.two": object()}
    units = [{"provider": "aws", "resource_type": "aws.s3.bucket", "status": "ok", "resource_count": 1}]
    for seed in range(5):
        findings = _findings(300, seed)
        want = compliance_view(findings, units, frameworks=tables, registry=registry, categories={})
        got = indexed_compliance_view(SubjectIndex(findings), units, cap=2, frameworks=tables, registry=registry,
                                      categories={})
        assert [r.as_dict(2) for r in got] == [r.as_dict(2) for r in want]
        assert any(r.n_failing > 2 for r in got)  # the cap did cut something


def test_previous_failures_are_counted_as_distinct_pairs() -> None:
    findings = [{"finding_id": f"f{i}", "rule_id": r, "resource_key": k, "status": "FAIL", "frameworks": {}}
                for i, (r, k) in enumerate([("a", "x"), ("a", "x"), ("a", "y"), ("b", None), ("b", "z")])]
    kept, before = SubjectIndex(findings).previous_fails([("a", "x"), ("a", "x"), ("b", ""), ("c", "q")])
    assert kept == {"a": 2, "b": 1} and before == {"a": 1, "b": 1, "c": 1}


def test_streamed_framework_files_equal_the_documents_written_whole(tmp_path) -> None:
    findings = _findings(200, 7)
    controls = SubjectIndex(findings).framework_view()
    head = {"schema": "s", "kind": "frameworks", "count": len(controls)}
    write_json_items(tmp_path, "f.json", head, (spliced_control(c) for c in controls))
    assert (tmp_path / "f.json").read_bytes() == dumps({**head, "items": [c.as_dict() for c in controls]})
    write_json_list(tmp_path, "l.json", (spliced_control(c) for c in controls))
    assert orjson.loads((tmp_path / "l.json").read_bytes()) == [c.as_dict() for c in controls]
    assert (tmp_path / "l.json").read_bytes() == dumps([c.as_dict() for c in controls])


def test_joined_cells_are_written_as_the_spreadsheet_writer_writes_the_joined_text(tmp_path) -> None:
    """Formula prefixes, quoting, doubled quotes and the CR rule decided over the whole cell."""
    import io

    from auditor.exports.files import JoinedCell, _write_joined_row, cell_text
    from auditor.textsafe import SpreadsheetWriter

    rnd = random.Random(3)
    alphabet = ["a", "b", ",", '"', "\n", "\r", ";", " ", "=", "+", "-", "@", "\t", "1", ".", "5", "e", "\u00e9"]
    for _ in range(3000):
        row = []
        for _c in range(rnd.randint(1, 4)):
            items = ["".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 4))) for _ in range(rnd.randint(0, 3))]
            row.append(items if rnd.random() < 0.6 else "".join(items))
        want, got = io.StringIO(), io.StringIO()
        SpreadsheetWriter(want).writerow([cell_text(v) for v in row])
        _write_joined_row(got, [JoinedCell(v) if isinstance(v, list) else v for v in row])
        assert got.getvalue() == want.getvalue(), row


def test_failing_location_names_a_resource_only_where_a_prefixed_rule_failed_on_it() -> None:
    """The report's residency rows: every ask (one per row) gives the location of a resource a
    residency rule failed on, and the default for any other, however often it is asked."""
    findings = [
        {"rule_id": "residency.x", "status": "FAIL", "resource_key": "k1", "frameworks": {}},
        {"rule_id": "residency.x", "status": "PASS", "resource_key": "k2", "frameworks": {}},
        {"rule_id": "r.one", "status": "FAIL", "resource_key": "k3", "frameworks": {}},
    ]
    index = SubjectIndex(findings)
    index.load_locations([("k1", "EU"), ("k2", "US"), ("k3", "JP")])
    for _ in range(3):
        assert [index.failing_location(k, "residency.") for k in ("k1", "k2", "k3", "k4", None)] == \
            ["EU", "unknown", "unknown", "unknown", "unknown"]
    assert index.failing_location("k3", "r.") == "JP"
    assert index.fails_by_location("residency.") == {"EU": 1}
    index.close()
