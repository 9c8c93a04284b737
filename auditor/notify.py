"""Webhook notifications after an audit (JSON POST, Slack-compatible).

Why failures are returned and logged rather than raised: a chat outage must never turn a
clean nightly audit into a failed one. Why the webhook URL is redacted in logs: a Slack (or
Teams, Discord...) incoming-webhook URL *is* the credential, carried in its path or query.

The summary is the audit's, as a dict; the keys read here (all optional):

- ``findings``: items (dicts or objects) with ``severity`` and optionally ``status``
  (only ``FAIL`` counts; a missing status counts as a failure), ``rule_id``, ``title``,
  ``provider``, ``account``, ``region``, ``resource_key`` / ``native_id``;
- ``drift``: items with ``change`` (added | removed | modified), ``resource_key``, ``type``,
  ``provider`` and optionally ``severity`` (default ``DRIFT_DEFAULT_SEVERITY``);
- ``snapshot_id``, ``baseline`` (name or id), ``exit_code``, ``report`` (path or URL);
- ``coverage`` (units ok/planned per provider and account), ``coverage_line`` and
  ``coverage_breaches``: a breach of the coverage floor is always sent, whatever
  ``min_severity`` says, because a run that saw too little must not stay silent.

Only these named fields are sent, never evidence or configuration, and every string is passed
through ``auditor.redact`` so a secret-shaped value cannot leave in a notification.
"""

from __future__ import annotations

import logging
from collections import Counter
from typing import Any, Iterable
from urllib.parse import urlsplit

import requests

from auditor import __version__
from auditor.config.schema import AuditorConfig, WebhookConfig
from auditor.redact import redact
from auditor.rules.verdict import SEVERITIES, at_or_above

log = logging.getLogger(__name__)

DRIFT_DEFAULT_SEVERITY = "medium"  # an unapproved change, unrated by the drift engine
MAX_ITEMS = 20  # per list in one message: enough to act on, small enough for chat
FINDING_FIELDS = ("rule_id", "title", "severity", "provider", "account", "region", "resource_key", "native_id")
DRIFT_FIELDS = ("change", "severity", "type", "provider", "account", "region", "resource_key")


def redact_url(url: str) -> str:
    """``https://hooks.slack.com/services/T0/B0/XYZ`` -> ``https://hooks.slack.com/***``."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or "?"
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "<unparseable webhook url>"
    return f"{parts.scheme or '?'}://{host}{port}/***"


def slack_escape(text: str) -> str:
    """Slack's control sequences start with ``<`` (``<!channel>``, ``<@U123>``,
    ``<http://evil|disguised>``); escaping ``&``, ``<`` and ``>`` as Slack documents makes a
    cloud string display literally instead of pinging a channel or hiding a link."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _field(item: Any, name: str) -> Any:
    return item.get(name) if isinstance(item, dict) else getattr(item, name, None)


def _severity(item: Any, default: str | None = None) -> str | None:
    value = _field(item, "severity")
    value = getattr(value, "value", value)  # enums
    value = str(value).lower() if value is not None else default
    return value if value in SEVERITIES else default


def _failing(findings: Iterable[Any]) -> list[Any]:
    out = []
    for f in findings:
        status = _field(f, "status")
        status = getattr(status, "value", status)
        if status is None or str(status).upper() == "FAIL":
            out.append(f)
    return out


def _at_or_above(items: Iterable[Any], threshold: str, default: str | None) -> list[Any]:
    return [i for i in items if at_or_above(_severity(i, default), threshold)]


def _slim(item: Any, fields: tuple[str, ...], default_severity: str | None) -> dict[str, Any]:
    out = {}
    for name in fields:
        value = _severity(item, default_severity) if name == "severity" else _field(item, name)
        value = getattr(value, "value", value)
        if value is not None:
            out[name] = value if isinstance(value, (int, float, bool)) else str(value)
    return redact(out)


def _by_severity(items: list[Any], default: str | None) -> dict[str, int]:
    counts = Counter(_severity(i, default) for i in items)
    return {s: counts[s] for s in reversed(SEVERITIES) if counts[s]}


def build_payload(summary: dict[str, Any], webhook: WebhookConfig) -> dict[str, Any] | None:
    """The message for one webhook, or None when nothing reaches its ``min_severity``."""
    threshold = webhook.min_severity
    findings = _at_or_above(_failing(summary.get("findings") or []), threshold, None)
    drift = _at_or_above(summary.get("drift") or [], threshold, DRIFT_DEFAULT_SEVERITY)
    breaches = [str(b) for b in summary.get("coverage_breaches") or []]
    if not findings and not drift and not breaches:
        return None
    snapshot, baseline = summary.get("snapshot_id"), summary.get("baseline")
    f_counts, d_counts = _by_severity(findings, None), Counter(str(_field(d, "change") or "changed") for d in drift)
    headline = f"auditor: {len(findings)} finding(s) and {len(drift)} drift item(s) at or above {threshold}"
    where = f" in snapshot {snapshot}" if snapshot is not None else ""
    against = f" against baseline {baseline}" if baseline is not None else ""
    lines = [headline + where + against]
    if breaches:
        lines.insert(0, f"auditor: collection coverage below the floor{where}: " + "; ".join(breaches[:5]))
    if summary.get("coverage_line"):
        lines.append(str(summary["coverage_line"]))
    if f_counts:
        lines.append("findings: " + ", ".join(f"{n} {s}" for s, n in f_counts.items()))
    if d_counts:
        lines.append("drift: " + ", ".join(f"{n} {c}" for c, n in sorted(d_counts.items())))
    for f in findings[:5]:
        lines.append(f"• [{_severity(f)}] {_field(f, 'title') or _field(f, 'rule_id')}: "
                     f"{_field(f, 'resource_key') or _field(f, 'native_id') or '-'}")
    if summary.get("report"):
        lines.append(f"report: {summary['report']}")
    return {
        # per line: one bad value drops one line; then escaped, since cloud strings are hostile
        "text": "\n".join(slack_escape(redact(line)) for line in lines),
        "auditor": {
            "version": __version__,
            "snapshot_id": snapshot,
            "baseline": baseline,
            "exit_code": summary.get("exit_code"),
            "min_severity": threshold,
            "findings_by_severity": f_counts,
            "drift_by_change": dict(sorted(d_counts.items())),
            "findings": [_slim(f, FINDING_FIELDS, None) for f in findings[:MAX_ITEMS]],
            "drift": [_slim(d, DRIFT_FIELDS, DRIFT_DEFAULT_SEVERITY) for d in drift[:MAX_ITEMS]],
            "truncated": len(findings) > MAX_ITEMS or len(drift) > MAX_ITEMS,
            "coverage": redact(summary.get("coverage")) if summary.get("coverage") is not None else None,
            "coverage_breaches": [redact(b) for b in breaches[:MAX_ITEMS]],
        },
    }


def _post(webhook: WebhookConfig, payload: dict[str, Any]) -> str | None:
    """POST one message; the problem as text, or None when delivered."""
    where = redact_url(webhook.url)
    try:
        resp = requests.post(webhook.url, json=payload, timeout=webhook.timeout_seconds,
                             allow_redirects=False,  # a redirect would re-send elsewhere (or drop the body)
                             headers={"User-Agent": f"auditor/{__version__}"})
    except requests.RequestException as exc:
        # The exception text embeds the full URL: report only its kind.
        return f"webhook {where}: {type(exc).__name__} (not delivered)"
    if not 200 <= resp.status_code < 300:
        return f"webhook {where}: HTTP {resp.status_code} (not delivered)"
    return None


def notify(config: AuditorConfig, summary: dict[str, Any]) -> list[str]:
    """Send the summary to every configured webhook it concerns. Returns the problems
    (already logged); never raises, so notifying can never fail the audit."""
    problems: list[str] = []
    for hook in config.notifications.webhooks:
        where = redact_url(hook.url)
        try:
            payload = build_payload(summary, hook)
            if payload is None:
                log.info("webhook %s: nothing at or above %s; not sent", where, hook.min_severity)
                continue
            problem = _post(hook, payload)
        except Exception as exc:  # noqa: BLE001 - the contract: notifying never fails the audit
            problem = f"webhook {where}: could not build or send the message: {type(exc).__name__}"
        if problem:
            log.warning("%s", problem)
            problems.append(problem)
        else:
            log.info("webhook %s: notified", where)
    return problems
