"""Helpers shared by the AWS tests (a plain module: the tests folder is not a package)."""

from __future__ import annotations

import threading
from typing import Any, Callable, Iterator

from auditor.config.schema import AwsConfig
from collectors.aws.clients import AwsClientFactory

PRIMARY, SECOND = "123456789012", "210987654321"
REGIONS = ("us-east-1", "eu-west-1", "eu-central-1")


# Types whose service moto has no backend for (its server answers HTML 500): left out of test runs
# unless a test asks for them (exclude_resource_types=[]) to see their units fail honestly.
MOTO_UNIMPLEMENTED = ("aws.accessanalyzer.*", "aws.iam.organizations_features", "aws.organizations.delegation_policy")


def aws_config(url: str, accounts: tuple[str, ...] = (PRIMARY, SECOND), **kw: Any) -> AwsConfig:
    """Primary account with the base credentials, others through the seeded auditor role."""
    accts = [{"id": a} if a == PRIMARY else {"id": a, "role_name": "PostureAuditor"} for a in accounts]
    kw.setdefault("exclude_resource_types", list(MOTO_UNIMPLEMENTED))
    return AwsConfig(credential_source="static-test", endpoint_url=url, regions=list(REGIONS),
                     accounts=accts, **kw)


class _Raw:
    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._body


def error_body(code: str, message: str = "injected") -> bytes:
    return (f"<Response><Errors><Error><Code>{code}</Code><Message>{message}</Message></Error></Errors>"
            f"<RequestID>00000000-0000-0000-0000-000000000000</RequestID></Response>").encode()


class FaultyFactory(AwsClientFactory):
    """Answers chosen (service, region) calls with a recorded error instead of sending them.

    The hook sits at ``before-send``: botocore parses the answer and applies its retry policy
    exactly as it would for a real response.
    """

    def __init__(self, *args: Any, faults: dict[tuple[str, str], tuple[int, str]], **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.faults = faults
        self.attempts: dict[tuple[str, str], int] = {}
        self._count_lock = threading.Lock()

    def _make_client(self, session: Any, service: str, region: str, counter: Any | None) -> Any:
        client = super()._make_client(session, service, region, counter)
        fault = self.faults.get((service, region))
        if fault is not None:
            client.meta.events.register(f"before-send.{client.meta.service_model.service_id.hyphenize()}",
                                        self._responder(service, region, *fault))
        return client

    def _responder(self, service: str, region: str, status: int, code: str) -> Callable[..., Any]:
        from botocore.awsrequest import AWSResponse

        def respond(request: Any, **_: Any) -> Any:
            with self._count_lock:
                self.attempts[(service, region)] = self.attempts.get((service, region), 0) + 1
            return AWSResponse(request.url, status, {"Content-Type": "text/xml"}, _Raw(error_body(code)))

        return respond
