"""What a person (or a CI log) sees from each verb: hostile cloud strings stay inert, ids are
never split across lines when piped, global options work after the verb, help shows words."""

from __future__ import annotations

import io
import json
import re
from datetime import datetime, timezone
from types import SimpleNamespace

import pytest
from rich.console import Console

from auditor.cli import output
from auditor.cli.main import run
from auditor.textsafe import spreadsheet_safe, terminal_safe
from tests.cli.conftest import ACCT, HOSTILE_NAME, LINK, LONG, MARKUP_PATH

RAW_CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]")


@pytest.fixture
def cli(hostile_store, tmp_path, monkeypatch, capsys):  # type: ignore[no-untyped-def]
    cfg = tmp_path / "auditor.yaml"
    cfg.write_text("audit:\n  fail_on: none\n  baseline: prod\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("COLUMNS", raising=False)

    def invoke(*args: str) -> tuple[int, str, str]:
        with pytest.raises(SystemExit) as exc:
            run(["--config", str(cfg), "--db", hostile_store["url"], *args])
        out = capsys.readouterr()
        return int(exc.value.code or 0), out.out, out.err

    invoke.store = hostile_store  # type: ignore[attr-defined]
    return invoke


def assert_inert(out: str, err: str) -> None:
    for stream in (out, err):
        assert not RAW_CONTROL.search(stream), repr(RAW_CONTROL.search(stream))
        assert "\x1b]8;" not in stream


def assert_whole(tokens: list[str], out: str) -> None:
    lines = out.splitlines()
    for tok in tokens:
        shown = terminal_safe(tok)
        assert any(shown in line for line in lines), f"{shown!r} is split across lines"


def tokens_of(rows: list[dict], columns: list[str]) -> list[str]:
    return sorted({t for r in rows for c in columns if isinstance(r.get(c), str) for t in r[c].split() if len(t) > 3})


# ---- 1. hostile strings ---------------------------------------------------------------------------

@pytest.mark.parametrize("verb", [
    ["resources"], ["units"], ["snapshots"], ["check"], ["drift"], ["identity"], ["compliance", "--framework", "cis-aws"],
    ["query", "SELECT resource_key, native_id, name FROM current_resources"],
])
def test_cloud_strings_are_never_markup_nor_control_sequences(cli, verb) -> None:  # type: ignore[no-untyped-def]
    code, out, err = cli(*verb)
    assert code in (0, 1), err  # never the crash exit 3 ("/[/x]/" used to be a markup error)
    assert_inert(out, err)
    if verb[0] in ("resources", "query"):
        assert LINK in out  # shown literally: no hidden hyperlink
        assert "\\x1b]8;;https://evil.example/" in out and "\\u202e" in out
    if verb[0] in ("resources", "identity", "query", "compliance"):
        assert MARKUP_PATH in out


def test_table_cells_are_text_even_on_a_colour_terminal() -> None:
    buf = io.StringIO()
    console = Console(file=buf, force_terminal=True, color_system="truecolor", width=100,
                      markup=False, highlight=False)
    output.render([{"name": HOSTILE_NAME, "path": MARKUP_PATH}], ["name", "path"], "table", console=console)
    text = buf.getvalue()
    assert "\x1b]8;" not in text  # a parsed [link] would be an OSC 8 hyperlink
    assert "[link=https://evil.example/phish]click" in text and "\\u202e" in text
    assert "\u202e" not in text


def test_terminal_safe_corpus() -> None:
    assert terminal_safe("a\x1b[31mb") == "a\\x1b[31mb"
    assert terminal_safe("\x9b31m") == "\\x9b31m"           # C1 CSI
    assert terminal_safe("x\u202ey\u2066z\u200f") == "x\\u202ey\\u2066z\\u200f"
    assert terminal_safe("line\nbreak\r") == "line\\x0abreak\\x0d"
    assert terminal_safe("line\n", keep_newlines=True) == "line\n"
    assert terminal_safe("Zürich 東京 [b]") == "Zürich 東京 [b]"


FORMULAS = ["=HYPERLINK(\"http://evil\")", "+cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0", "@SUM(A1)",
            "\t=1", "\r=1"]


@pytest.mark.parametrize("attack", FORMULAS)
def test_one_formula_guard_for_every_csv_writer(attack, cli, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from auditor.exports import files

    from auditor.textsafe import SpreadsheetWriter

    assert files.SpreadsheetWriter is SpreadsheetWriter  # the exports and the CLI write through one writer
    assert spreadsheet_safe(attack).startswith("'")
    sql = "SELECT " + "'" + attack.replace("'", "''") + "' AS cell, -1.5 AS n"
    code, out, err = cli("-f", "csv", "query", sql)
    assert code == 0, err
    import csv

    rows = list(csv.reader(io.StringIO(out, newline="")))
    assert len(rows) == 2  # a CR in a cell never forges a row
    assert rows[1][0] == "'" + attack and rows[1][1] == "-1.5"  # a negative number stays a number
    files.write_csv(tmp_path, "x.csv", ["cell"], [{"cell": attack}])
    assert list(csv.reader((tmp_path / "x.csv").open(newline="")))[1][0] == "'" + attack


# ---- 2. piped tables ------------------------------------------------------------------------------

from auditor.cli.checks_cmds import FINDING_COLUMNS  # noqa: E402
from auditor.cli.drift_cmds import DRIFT_COLUMNS  # noqa: E402
from auditor.cli.inventory_cmds import RESOURCE_COLUMNS, SNAPSHOT_COLUMNS, UNIT_COLUMNS  # noqa: E402

TABLE_VERBS = {
    "snapshots": SNAPSHOT_COLUMNS, "units": UNIT_COLUMNS, "resources": RESOURCE_COLUMNS,
    "check": FINDING_COLUMNS, "drift": [c for c in DRIFT_COLUMNS if c != "paths"],
}


@pytest.mark.parametrize("verb", sorted(TABLE_VERBS))
@pytest.mark.parametrize("columns_env", [None, "80"])
def test_piped_tables_never_split_a_token(cli, monkeypatch, verb, columns_env) -> None:  # type: ignore[no-untyped-def]
    code, js, err = cli(verb, "-f", "json")  # -f after the verb, for every verb
    assert code in (0, 1), err
    rows = json.loads(js)
    assert rows
    natural = cli(verb)[1]
    if columns_env:
        monkeypatch.setenv("COLUMNS", columns_env)
    code, out, err = cli(verb)
    assert code in (0, 1), err
    toks = tokens_of(rows, TABLE_VERBS[verb])
    assert any(LONG in t for t in toks) or verb == "snapshots"
    assert_whole(toks, out)
    if columns_env is None:  # natural width: one line per row (plus title, header, rules)
        assert len(out.splitlines()) <= len(rows) + 6, out
    else:  # the width is honoured as far as whole words allow: narrower than the natural layout
        assert max(map(len, out.splitlines())) <= max(80, *map(len, natural.splitlines()))
        assert verb == "snapshots" or max(map(len, out.splitlines())) < max(map(len, natural.splitlines()))


def test_identity_and_query_piped(cli) -> None:  # type: ignore[no-untyped-def]
    keys = cli.store["keys"]
    _code, out, err = cli("identity")
    assert_whole([k for k in keys if ":role/" in k or "iam" in k], out)
    assert f"partner-{LONG}" in out
    _code, out, err = cli("query", "SELECT resource_key, native_id FROM current_resources")
    assert_whole(keys + cli.store["ids"], out)


def test_collect_summary_piped(capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("COLUMNS", raising=False)  # piped, no width given: natural width
    from collections import Counter

    from auditor.cli.collect_cmds import print_summary
    from auditor.cli.context import AppContext
    from auditor.model import UnitStatus
    from collectors.runner import RunSummary, Unit, UnitResult

    units = [UnitResult(unit=Unit("azure", f"sub-{LONG}-{i}", "global", "azure.storage.account"),
                        status=UnitStatus.DENIED, api_calls=1, resource_count=0, duration_s=0.1,
                        started_at=datetime.now(timezone.utc),
                        error=f"AuthorizationFailed: the client '{LONG}' with object id '{LONG}' does not have "
                              f"authorization to perform action 'Microsoft.Storage/storageAccounts/read' {LINK}")
             for i in range(12)]
    from auditor.coverage import Coverage

    result = SimpleNamespace(snapshot_id=4, status="partial", summary=RunSummary(units=units, resources_by_type=Counter()),
                             stats=SimpleNamespace(written=0, closed=0), coverage=Coverage.of_results(units), error=None)
    print_summary(AppContext(), result)
    out = capsys.readouterr().out
    assert len(out.splitlines()) < 30, out  # was 356 lines for 12 denied units
    assert_whole([f"azure/sub-{LONG}-{i}/global/azure.storage.account" for i in range(12)], out)
    assert_inert(out, "")
    assert "snapshot 4 partial" in out


def test_messages_are_cut_between_words() -> None:
    text = "the role deploy-" + LONG + " trusts every repository of the organisation octo-org"
    clipped = output.clip_words(text, 60)
    assert clipped.endswith(" ...")
    assert all(w in text.split() for w in clipped.removesuffix(" ...").split())


# ---- global options and help ----------------------------------------------------------------------

def test_global_options_before_or_after_the_verb(cli, hostile_store) -> None:  # type: ignore[no-untyped-def]
    for args in (["-f", "json", "units"], ["units", "-f", "json"], ["units", "--format=json"],
                 ["units", "-q", "-fjson"], ["snapshots", "--format", "json", "-v"]):
        code, out, err = cli(*args)
        assert code == 0, (args, err)
        assert isinstance(json.loads(out), list), args
    # the verb's own --format wins (identity also knows dot)
    code, out, _ = cli("identity", "-f", "dot")
    assert code == 0 and out.startswith("digraph")
    code, out, err = cli("units", "-f", "dot")
    assert code == 2 and "dot" in err


@pytest.mark.parametrize("verb", [["check"], ["resources"], ["units"], ["drift"], ["baseline", "accept"], ["--help"]])
def test_help_shows_words_not_python_types(cli, verb) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = cli(*verb, "--help") if verb != ["--help"] else cli("--help")
    assert code == 0
    assert not re.search(r"<(int|str|bool|list\[[a-z]+\]|Path|float)>", out), out
    if verb == ["check"]:
        assert "RULE_GLOB" in out and "SNAPSHOT" in out
    if verb == ["resources"]:
        assert "ACCOUNT" in out


def test_drift_shows_added_rule_readably(cli) -> None:  # type: ignore[no-untyped-def]
    code, out, err = cli("drift", "-f", "json")
    item = next(i for i in json.loads(out) if i["change"] == "modified")
    assert item["changes"] and all({"path", "before", "after"} <= set(c) for c in item["changes"])
    assert {"path": "config.IpPermissions", "op": "added", "text": "tcp/3389 from 0.0.0.0/0"}.items() <= \
        next(e for e in item["element_changes"] if e["path"] == "config.IpPermissions").items()
    code, out, err = cli("drift")
    assert "+ tcp/3389 from 0.0.0.0/0" in out
