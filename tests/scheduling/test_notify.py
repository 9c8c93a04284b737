"""Webhook notifications against a real loopback HTTP server: what is sent, when, and that a
failing, slow or redirecting webhook is reported and logged (URL redacted), never raised."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from auditor.config.schema import AuditorConfig, NotificationsConfig, WebhookConfig
from auditor.notify import build_payload, notify, redact_url

SECRET_PATH = "/services/T0000/B0000/XXXXXXXXsecretXXXXXXXX"


class _Hook(BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        server = self.server
        server.received.append({"path": self.path, "headers": dict(self.headers), "body": body})
        if server.delay:
            time.sleep(server.delay)
        self.send_response(server.status)
        if 300 <= server.status < 400:
            self.send_header("Location", "http://127.0.0.1:9/elsewhere")
        self.send_header("Content-Length", "2")
        self.end_headers()
        try:
            self.wfile.write(b"ok")
        except BrokenPipeError:  # the client gave up (timeout test): expected
            pass

    def log_message(self, *args) -> None:  # keep test output clean
        pass


@pytest.fixture
def hook_server():
    """Start loopback webhook servers: ``make(status=200, delay=0)`` -> (server, url)."""
    servers = []

    def make(status: int = 200, delay: float = 0.0):
        server = ThreadingHTTPServer(("127.0.0.1", 0), _Hook)
        server.received, server.status, server.delay = [], status, delay
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
        servers.append(server)
        return server, f"http://127.0.0.1:{server.server_address[1]}{SECRET_PATH}?token=abc123"

    yield make
    for server in servers:
        server.shutdown()
        server.server_close()


def _config(*hooks: tuple[str, str] | tuple[str, str, float]) -> AuditorConfig:
    return AuditorConfig(notifications=NotificationsConfig(webhooks=[
        WebhookConfig(url=h[0], min_severity=h[1], timeout_seconds=h[2] if len(h) > 2 else 5) for h in hooks
    ]))


SUMMARY = {
    "snapshot_id": 42,
    "baseline": "prod",
    "exit_code": 1,
    "findings": [
        {"rule_id": "storage.public", "title": "Bucket is public", "severity": "critical", "status": "FAIL",
         "provider": "aws", "account": "111122223333", "resource_key": "aws:s3:datasets",
         "evidence": {"policy": "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}},
        {"rule_id": "net.ssh", "title": "SSH open to the world", "severity": "high", "status": "FAIL",
         "provider": "gcp", "resource_key": "gcp:compute:gpu-node-1"},
        {"rule_id": "iam.mfa", "title": "MFA", "severity": "critical", "status": "PASS", "resource_key": "aws:iam:root"},
        {"rule_id": "tags.owner", "title": "No owner tag", "severity": "low", "status": "FAIL", "resource_key": "x"},
        {"rule_id": "enc.cmk", "title": "Not collected", "severity": "high", "status": "UNKNOWN", "resource_key": "y"},
    ],
    "drift": [
        {"change": "modified", "resource_key": "aws:s3:datasets", "type": "aws.s3.bucket", "provider": "aws"},
        {"change": "added", "resource_key": "azure:vm:new", "type": "azure.compute.vm", "severity": "low"},
    ],
}


def test_posts_a_slack_compatible_summary_at_or_above_the_threshold(hook_server):
    server, url = hook_server()
    assert notify(_config((url, "high")), SUMMARY) == []
    [req] = server.received
    assert req["path"] == f"{SECRET_PATH}?token=abc123"
    assert req["headers"]["Content-Type"] == "application/json"
    body = json.loads(req["body"])
    assert body["text"].startswith("auditor: 2 finding(s) and 0 drift item(s) at or above high in snapshot 42 "
                                   "against baseline prod")
    assert "Bucket is public" in body["text"] and "SSH open to the world" in body["text"]
    data = body["auditor"]
    assert data["findings_by_severity"] == {"critical": 1, "high": 1}
    assert [f["rule_id"] for f in data["findings"]] == ["storage.public", "net.ssh"]
    assert data["drift"] == [] and data["exit_code"] == 1 and data["min_severity"] == "high"
    # Evidence never leaves: only the named fields are sent.
    assert "evidence" not in req["body"].decode() and "wJalrXUtnFEMI" not in req["body"].decode()


def test_drift_counts_at_its_default_severity(hook_server):
    server, url = hook_server()
    assert notify(_config((url, "medium")), {"drift": SUMMARY["drift"]}) == []
    data = json.loads(server.received[0]["body"])["auditor"]
    assert data["drift_by_change"] == {"modified": 1}
    assert data["drift"] == [{"change": "modified", "severity": "medium", "type": "aws.s3.bucket",
                              "provider": "aws", "resource_key": "aws:s3:datasets"}]


def test_nothing_at_the_threshold_sends_nothing(hook_server):
    server, url = hook_server()
    quiet = {"findings": [f for f in SUMMARY["findings"] if f["severity"] == "low"], "drift": []}
    assert notify(_config((url, "high")), quiet) == []
    assert server.received == []
    assert build_payload({}, WebhookConfig(url=url)) is None


def test_secret_shaped_values_are_redacted_from_the_message(hook_server):
    server, url = hook_server()
    leaky = {"findings": [{"rule_id": "r", "title": "key AKIAIOSFODNN7EXAMPLE in user data", "severity": "critical",
                           "resource_key": "aws:ec2:i-1"}]}
    assert notify(_config((url, "critical")), leaky) == []
    assert b"AKIAIOSFODNN7EXAMPLE" not in server.received[0]["body"]


@pytest.mark.parametrize("status", [500, 404, 302])
def test_a_failing_webhook_is_reported_not_raised_and_others_still_get_it(hook_server, caplog, status):
    bad, bad_url = hook_server(status=status)
    good, good_url = hook_server()
    with caplog.at_level("INFO", logger="auditor.notify"):
        problems = notify(_config((bad_url, "high"), (good_url, "high")), SUMMARY)
    assert problems == [f"webhook http://127.0.0.1:{bad.server_address[1]}/***: HTTP {status} (not delivered)"]
    assert len(bad.received) == 1, "redirects are not followed"
    assert len(good.received) == 1
    assert problems[0] in caplog.text
    assert "secret" not in caplog.text and "abc123" not in caplog.text


def test_unreachable_and_slow_webhooks_are_reported_quickly(hook_server, caplog):
    slow, slow_url = hook_server(delay=2.0)
    closed, closed_url = hook_server()
    closed.shutdown()
    closed.server_close()  # nothing listens on that port any more
    started = time.monotonic()
    with caplog.at_level("WARNING", logger="auditor.notify"):
        problems = notify(_config((slow_url, "high", 0.3), (closed_url, "high", 0.3)), SUMMARY)
    assert time.monotonic() - started < 1.9
    assert len(problems) == 2
    assert "ReadTimeout" in problems[0] and "ConnectionError" in problems[1]
    assert "secret" not in caplog.text and "abc123" not in caplog.text and SECRET_PATH not in " ".join(problems)


def test_malformed_summary_is_a_problem_not_a_crash(hook_server):
    server, url = hook_server()
    problems = notify(_config((url, "high")), {"findings": 7})
    assert len(problems) == 1 and "could not build or send" in problems[0]
    assert server.received == []


def test_redact_url_keeps_only_where_it_goes():
    assert redact_url("https://hooks.slack.com/services/T0/B0/XYZ?x=1") == "https://hooks.slack.com/***"
    assert redact_url("http://127.0.0.1:8080/a/b") == "http://127.0.0.1:8080/***"


def test_cloud_strings_cannot_inject_slack_mentions_or_disguised_links(hook_server):
    server, url = hook_server()
    hostile = {"findings": [{
        "rule_id": "storage.public", "severity": "critical", "status": "FAIL",
        "title": "<!channel> urgent <@U024BE7LH> see <http://evil.example/login|https://console.aws.amazon.com>",
        "resource_key": "aws.s3.bucket|a&b<!here>",
    }]}
    assert notify(_config((url, "high")), hostile) == []
    text = json.loads(server.received[0]["body"])["text"]
    assert "<" not in text and ">" not in text
    assert "&lt;!channel&gt;" in text and "&lt;@U024BE7LH&gt;" in text
    assert "&lt;http://evil.example/login|https://console.aws.amazon.com&gt;" in text
    assert "a&amp;b&lt;!here&gt;" in text  # & escaped first: no double meaning
