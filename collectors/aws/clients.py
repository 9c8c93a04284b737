"""The AWS client factory: one place that turns config into boto3 clients.

Credentials come from the standard boto3 chain (env, profile, SSO, instance role), from an
assumed role per account, or (loopback endpoints only) from fixed dummy keys. An endpoint
override is passed to client creation exactly as botocore's own ``AWS_ENDPOINT_URL`` would
be, so tests against moto exercise the production code path.
"""

from __future__ import annotations

import ipaddress
import threading
from dataclasses import dataclass
from typing import Any, Callable
from urllib.parse import urlparse, urlunparse

import boto3
from botocore.config import Config
from botocore.credentials import RefreshableCredentials
from botocore.session import get_session

from auditor.config.schema import AwsConfig

STATIC_TEST_KEYS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
SESSION_NAME = "posture-auditor"
HOME_REGION = "us-east-1"

CallObserver = Callable[[str, str], None]  # (service id, operation name)


@dataclass(frozen=True)
class AccountTarget:
    """An account to collect from and how to get into it (no role: the base credentials)."""

    account_id: str | None
    role_arn: str | None = None
    external_id: str | None = None
    name: str | None = None

    @property
    def label(self) -> str:
        return self.account_id or "default"


def _ip_host(url: str | None) -> bool:
    host = urlparse(url or "").hostname or ""
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        return False


def _strip_account_host_prefix(request: Any, **_: Any) -> None:
    """s3control prefixes the host with the account id; an IP literal cannot take a prefix."""
    parts = urlparse(request.url)
    host = parts.hostname or ""
    head, _, rest = host.partition(".")
    if head.isdigit() and len(head) == 12 and _ip_host(f"http://{rest}"):
        netloc = rest + (f":{parts.port}" if parts.port else "")
        request.url = urlunparse(parts._replace(netloc=netloc))


class AwsClientFactory:
    """Builds clients per (account, service, region); thread-safe; never a module singleton."""

    def __init__(self, cfg: AwsConfig, *, max_attempts: int = 6, retry_mode: str = "adaptive",
                 observers: tuple[CallObserver, ...] = (), connect_timeout: float = 10,
                 read_timeout: float = 60) -> None:
        self.cfg = cfg
        self.max_attempts = max_attempts
        self.connect_timeout, self.read_timeout = connect_timeout, read_timeout
        self.retry_mode = retry_mode
        self.observers = observers
        self._lock = threading.RLock()
        self._sessions: dict[AccountTarget, boto3.Session] = {}
        self._base: boto3.Session | None = None
        self._caller: str | None = None
        self._memo: dict[Any, Any] = {}
        self._memo_locks: dict[Any, threading.Lock] = {}

    def memo(self, key: Any, compute: Callable[[], Any]) -> Any:
        """One value per key for this run (e.g. an account's managed policies, read once for the
        user, group and role units). A failed computation is not cached: the next unit retries."""
        with self._lock:
            lock = self._memo_locks.setdefault(key, threading.Lock())
        with lock:
            if key not in self._memo:
                self._memo[key] = compute()
            return self._memo[key]

    # ---- sessions -------------------------------------------------------------------------
    def base_session(self) -> boto3.Session:
        with self._lock:
            if self._base is None:
                if self.cfg.credential_source == "static-test":
                    self._base = boto3.Session(region_name=HOME_REGION, **STATIC_TEST_KEYS)
                else:
                    self._base = boto3.Session(profile_name=self.cfg.profile, region_name=HOME_REGION)
            return self._base

    def session(self, target: AccountTarget) -> boto3.Session:
        """The session for an account: the base one, or a refreshable assumed-role session."""
        if not target.role_arn:
            return self.base_session()
        with self._lock:
            if target not in self._sessions:
                self._sessions[target] = self._assumed_session(target)
            return self._sessions[target]

    def _assumed_session(self, target: AccountTarget) -> boto3.Session:
        sts = self._make_client(self.base_session(), "sts", HOME_REGION, None)

        def fetch() -> dict[str, Any]:
            kwargs: dict[str, Any] = {"RoleArn": target.role_arn, "RoleSessionName": SESSION_NAME}
            if target.external_id:
                kwargs["ExternalId"] = target.external_id
            c = sts.assume_role(**kwargs)["Credentials"]
            return {"access_key": c["AccessKeyId"], "secret_key": c["SecretAccessKey"],
                    "token": c["SessionToken"], "expiry_time": c["Expiration"].isoformat()}

        creds = RefreshableCredentials.create_from_metadata(fetch(), fetch, "assume-role")
        core = get_session()
        core._credentials = creds  # botocore's documented way to inject refreshable credentials
        return boto3.Session(botocore_session=core, region_name=HOME_REGION)

    def caller_account(self) -> str:
        with self._lock:
            if self._caller is None:
                sts = self._make_client(self.base_session(), "sts", HOME_REGION, None)
                self._caller = sts.get_caller_identity()["Account"]
            return self._caller

    # ---- clients --------------------------------------------------------------------------
    def botocore_config(self) -> Config:
        return Config(
            # total_max_attempts counts the first try; botocore's "max_attempts" would count retries only
            retries={"mode": self.retry_mode, "total_max_attempts": self.max_attempts},
            connect_timeout=self.connect_timeout, read_timeout=self.read_timeout, max_pool_connections=16,
            user_agent_extra="posture-auditor",
        )

    def client(self, service: str, region: str, target: AccountTarget,
               counter: Any | None = None) -> Any:
        """A client for ``service`` in ``region``; ``counter.add()`` is called before each API call."""
        return self._make_client(self.session(target), service, region, counter)

    def _make_client(self, session: boto3.Session, service: str, region: str, counter: Any | None) -> Any:
        with self._lock:  # boto3.Session.client is not thread-safe
            client = session.client(service, region_name=region, endpoint_url=self.cfg.endpoint_url,
                                    config=self.botocore_config())
        events = client.meta.events
        if counter is not None:
            events.register("before-call", lambda **_: counter.add())
        for observer in self.observers:
            events.register("before-call", _observer_hook(observer))
        if service == "s3control" and _ip_host(self.cfg.endpoint_url):
            events.register("before-sign.s3-control", _strip_account_host_prefix)
        return client


def _observer_hook(observer: CallObserver) -> Callable[..., None]:
    def hook(model: Any, **_: Any) -> None:
        observer(model.service_model.service_name, model.name)

    return hook
