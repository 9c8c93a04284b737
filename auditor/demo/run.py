"""Run the demo: start stand-ins, seed, audit, approve a baseline, drift, audit again.

Everything runs in this process (moto's threaded server and the loopback fakes are
threads), so nothing is left running when the command ends, however it ends.
"""

from __future__ import annotations

import logging
import os
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import yaml
from rich.console import Console
from rich.panel import Panel

from auditor.demo import scenario

log = logging.getLogger(__name__)


def _start_moto(stack: ExitStack) -> str:
    # Must be set before moto builds its backends (see shared reference testing-clouds.md).
    os.environ.setdefault("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")
    os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
    try:
        from moto.server import ThreadedMotoServer
    except ImportError as exc:  # pragma: no cover - depends on the install
        from auditor.errors import UsageError

        raise UsageError(f'the demo needs its extras: pip install ".[demo]" ({exc})') from None
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    stack.callback(server.stop)
    host, port = server.get_host_and_port()
    return f"http://{host}:{port}"


def demo_config(workdir: Path, aws_url: str, gcp_endpoints: dict[str, str], arm: str, ca: str) -> dict[str, Any]:
    from auditor.demo.emulators import aws_seed, azure_estate, gcp_estate

    return {
        "database": {"url": f"sqlite:///{workdir / 'auditor.db'}"},
        "collection": {"concurrency": 8, "progress": False},
        "aws": {
            "credential_source": "static-test", "endpoint_url": aws_url, "regions": list(scenario.AWS_REGIONS),
            "accounts": [{"id": aws_seed.PRIMARY_ACCOUNT},
                         {"id": aws_seed.SECOND_ACCOUNT, "role_name": aws_seed.AUDITOR_ROLE}],
            # moto implements neither IAM Access Analyzer nor ListOrganizationsFeatures: their units would only fail
            "exclude_resource_types": ["aws.accessanalyzer.*", "aws.iam.organizations_features"],
        },
        "gcp": {"credentials": "anonymous", "organization": gcp_estate.SAMPLE_ORG, "endpoints": gcp_endpoints},
        "azure": {"arm_endpoint": arm, "graph_endpoint": arm, "tenant_id": azure_estate.TENANT,
                  "credential": "static-test-token", "ca_bundle": ca, "subscriptions": "all"},
        "estate": {
            "aws_accounts": [aws_seed.PRIMARY_ACCOUNT, aws_seed.SECOND_ACCOUNT],
            "gcp_organization": gcp_estate.SAMPLE_ORG,
            "azure_tenants": [azure_estate.TENANT],
            "github_orgs": ["octo-org"],
        },
        "residency": {
            "default_classification": "internal",
            "allowed": {"restricted": ["EU"], "confidential": ["EU", "GB", "CH"], "internal": ["*"], "public": ["*"]},
        },
        "audit": {"baseline": "production", "fail_on": "high"},
        "export": {"out_dir": str(workdir / "exports")},
        "signing": {"private_key": str(workdir / "signing.key")},
    }


def demo_workdir(requested: Path | None) -> Path:
    """The user's directory, or a fresh temporary one: never a directory inside the checkout
    by accident (the demo's database and exports are not source)."""
    if requested is not None:
        return requested.expanduser().resolve()
    import tempfile

    return Path(tempfile.mkdtemp(prefix="auditor-demo-"))


def run_demo(workdir: Path, console: Console | None = None) -> int:
    from auditor.audit import audit
    from auditor.cli.audit_cmds import FAIL_ON
    from auditor.config import load_config
    from auditor.drift import baselines
    from auditor.demo.emulators.azure_fake import AzureFake
    from auditor.demo.emulators.gcp_fake import GcpFake
    from auditor.store import migrate
    from auditor.store.engine import make_engine

    console = console or Console()
    started = time.perf_counter()
    workdir.mkdir(parents=True, exist_ok=True)
    db = workdir / "auditor.db"
    for leftover in workdir.glob("auditor.db*"):
        leftover.unlink()
    console.print(Panel.fit(
        "SIMULATED ESTATE — no cloud account is used.\n"
        "AWS is a local moto server; GCP and Azure are loopback fakes of their APIs.\n"
        "The collectors are the production ones, pointed at these stand-ins only through\n"
        "their endpoint and credential settings.", title="auditor demo"))
    with ExitStack() as stack:
        aws_url = _start_moto(stack)
        console.print("seeding an ML platform across AWS (2 accounts, 3 regions), GCP (3 projects) and Azure (3 subscriptions) ...")
        estate = scenario.seed(aws_url)
        gcp = GcpFake(estate.gcp)
        gcp.start()
        stack.callback(gcp.stop)
        azure = AzureFake(estate.azure)
        arm, ca = azure.start()
        stack.callback(azure.stop)

        cfg_path = workdir / "auditor.yaml"
        cfg_path.write_text(yaml.safe_dump(demo_config(workdir, aws_url, gcp.endpoints(), arm, ca), sort_keys=False))
        config, _ = load_config(cfg_path)
        from auditor import signing

        if not (workdir / "signing.key").exists():
            signing.generate(workdir / "signing.key")  # the demo's evidence is signed, as real use should be
        engine = make_engine(config.database.url or f"sqlite:///{db}")
        migrate.upgrade(engine)
        stack.callback(engine.dispose)

        console.print("planted problems: " + "; ".join(name for name, _ in scenario.KNOWN_PROBLEMS))
        console.rule("audit 1: first snapshot")
        first = audit(config, engine, export=False, notify=False)
        _print_collection(console, first)

        scope = _completed_scope(first)
        ref = baselines.approve(engine, name="production", reason="demo: state reviewed after first audit",
                                by="demo", snapshot_id=first.snapshot_id,
                                scope=scope if first.snapshot_status != "complete" else None)
        from auditor.drift.auditlog import sign_head

        sign_head(engine, signing.configured_signer(config))
        console.print(f"approved baseline {ref.name}@{ref.version} from snapshot {first.snapshot_id}"
                      + (f" (scoped to {len(scope)} completed units)" if first.snapshot_status != "complete" else ""))

        from auditor.demo.emulators import aws_seed
        from auditor.terraform import demo as tf_demo

        tf_state = tf_demo.write_state(lambda svc, region: scenario._client(aws_url, svc, aws_seed.PRIMARY_ACCOUNT, region),
                                       aws_seed.PRIMARY_ACCOUNT, workdir / "terraform" / "terraform.tfstate")
        console.rule("overnight changes")
        for line in scenario.apply_drift(aws_url, estate):
            console.print(f"  • {line}")

        console.rule("audit 2: drift and findings")
        second = audit(config, engine, notify=False)
        from auditor.cli.audit_cmds import print_outcome
        from auditor.cli.context import AppContext

        # The audit's own exit code is shown as what `auditor audit` would return; the line
        # "exit code N" below is the demo's, and it is the one this function returns.
        print_outcome(AppContext(fmt="table", console=console), second, show_exit=False)
        console.rule("IaC drift: what Terraform declares vs what runs")
        iac_drift = tf_demo.show_iac_drift(console, engine, tf_state, second.snapshot_id)
        sign_head(engine, signing.configured_signer(config))  # the import is an approval: sign the new head
        iac_dir = None
        if second.export_dir is not None:  # the same snapshot's report, drift judged against the Terraform baseline
            from auditor.exports.bundle import export_snapshot

            iac_dir = second.export_dir.parent / f"iac-{second.snapshot_id}"
            export_snapshot(engine, second.snapshot_id, iac_dir, ("html", "json"), drift_report=iac_drift,
                            signer=signing.configured_signer(config), disabled_rules=config.checks.disabled_rules)
        compliance = _compliance_summary(engine, config, second)
    _print_findings(console, second, FAIL_ON)
    from auditor.cli.output import render
    from auditor.exports.compliance_view import STATUSES as COMPLIANCE_STATUSES

    if compliance:
        render(compliance, ["framework", "controls", *COMPLIANCE_STATUSES], "table", console=console,
               title=f"CIS compliance of snapshot {second.snapshot_id} (controls per status)")
        console.print(f"per control, with reasons and failing resources: auditor --config {cfg_path} compliance "
                      "--framework cis-aws-7.0", highlight=False)
    elapsed = time.perf_counter() - started
    report = second.export_dir / "report.html" if second.export_dir else None
    console.print(Panel.fit(
        f"simulated estate audited twice in {elapsed:.0f}s\n"
        f"inventory: {db}\nconfig: {cfg_path}\n"
        f"exports: {second.export_dir}\n"
        + (f"report: {report}\n" if report and report.exists() else "")
        + (f"IaC report (drift against the Terraform baseline): {iac_dir / 'report.html'}\n" if iac_dir else "")
        + f"try: auditor --config {cfg_path} drift   |   auditor --config {cfg_path} identity",
        title="done"))
    code = 0 if not second.problems else 3
    console.print(f"`auditor audit` on this estate would exit {second.exit_code} (fail-on {second.fail_on}); "
                  f"exit code {code} (the demo {'ran' if code == 0 else 'had problems'})", highlight=False)
    return code


def _compliance_summary(engine: Any, config: Any, outcome: Any) -> list[dict[str, Any]]:
    """Controls per status per CIS version, from the findings the audit just stored."""
    from auditor.exports.compliance_view import snapshot_compliance, summarise

    if outcome.snapshot_id is None:
        return []
    return summarise(snapshot_compliance(engine, config, outcome.snapshot_id, findings=outcome.findings or None))


def _completed_scope(outcome: Any) -> list[str]:
    from auditor.store.ingest import unit_key

    return sorted(
        unit_key(u.unit.provider, u.unit.account, u.unit.region, u.unit.resource_type)
        for u in outcome.collection.summary.units if u.status.completed
    )


def _print_collection(console: Console, outcome: Any) -> None:
    s = outcome.summary()
    col = s["collection"]
    console.print(f"snapshot {s['snapshot_id']} {s['snapshot_status']}: {col['resources']} resources in "
                  f"{sum(col['units'].values())} units {col['units']}, {col['api_calls']} API calls, "
                  f"{s['steps_s'].get('collect', 0):.1f}s", highlight=False)
    if s["incomplete_units"]:
        from auditor.cli.audit_cmds import group_incomplete
        from auditor.cli.output import render

        render(group_incomplete(s["incomplete_units"]), ["provider", "account", "status", "units", "types", "error"],
               "table", console=console, title="did not complete (resources there are unknown, never deleted)")


def _print_findings(console: Console, outcome: Any, order: tuple[str, ...]) -> None:
    by_cloud: dict[str, dict[str, int]] = {}
    for f in outcome.failing_findings:
        by_cloud.setdefault(f.provider or "-", {}).setdefault(f.severity, 0)
        by_cloud[f.provider or "-"][f.severity] += 1
    if by_cloud:
        parts = [f"{cloud}: " + ", ".join(f"{n} {sev}" for sev, n in sorted(c.items(), key=lambda kv: -order.index(kv[0])))
                 for cloud, c in sorted(by_cloud.items())]
        console.print("failing findings by cloud — " + " | ".join(parts), highlight=False)
