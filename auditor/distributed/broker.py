"""The broker URL (credentials from the environment, redacted for display) and the Celery app.

One app configuration for the coordinator and the workers, so both agree on the task name,
the queue, JSON-only messages and late acknowledgement.
"""

from __future__ import annotations

import os
from typing import Any, Mapping
from urllib.parse import quote, urlsplit, urlunsplit

from auditor.config.schema import DistributedConfig

TASK_NAME = "auditor.collect_unit"
USER_ENV, PASSWORD_ENV = "AUDITOR_BROKER_USER", "AUDITOR_BROKER_PASSWORD"


def broker_url(cfg: DistributedConfig, env: Mapping[str, str] | None = None) -> str:
    """The configured URL with the user/password from AUDITOR_BROKER_USER/_PASSWORD when set."""
    if not cfg.broker_url:
        raise ValueError("distributed.broker_url is not set")
    env = os.environ if env is None else env
    user, password = env.get(USER_ENV), env.get(PASSWORD_ENV)
    if not user and not password:
        return cfg.broker_url
    parts = urlsplit(cfg.broker_url)
    user = user if user is not None else (parts.username or "")
    password = password if password is not None else (parts.password or "")
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = f"{quote(user, safe='')}:{quote(password, safe='')}@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def redacted(url: str) -> str:
    """The URL for logs and messages: any password replaced by ***."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = f"{parts.username or ''}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def result_backend(url: str) -> str:
    """Where results travel back: Redis keeps them in Redis; RabbitMQ sends them as replies (rpc)."""
    return url if urlsplit(url).scheme in ("redis", "rediss") else "rpc://"


def make_app(cfg: DistributedConfig, env: Mapping[str, str] | None = None, name: str = "auditor") -> Any:
    """A Celery app for ``cfg``: JSON only (never pickle), late acks, requeue on worker loss,
    one message prefetched per worker slot."""
    from celery import Celery

    url = broker_url(cfg, env)
    app = Celery(name, broker=url, backend=result_backend(url), set_as_current=False)
    app.conf.update(
        accept_content=["json"], task_serializer="json", result_serializer="json", result_accept_content=["json"],
        event_serializer="json",
        task_acks_late=True, task_reject_on_worker_lost=True, worker_prefetch_multiplier=1,
        task_default_queue=cfg.queue, task_routes={TASK_NAME: {"queue": cfg.queue}},
        task_track_started=False, result_expires=max(3600, int(cfg.result_timeout_s) * 2),
        # Redis hands an unacknowledged task to another worker after this long: it must outlast a unit.
        broker_transport_options={"visibility_timeout": int(cfg.unit_timeout_s * 2 + 60)},
        broker_connection_retry_on_startup=True, broker_connection_timeout=10,
        task_publish_retry=True,
        task_publish_retry_policy={"max_retries": 3, "interval_start": 0.5, "interval_step": 1, "interval_max": 3},
        worker_hijack_root_logger=False, worker_redirect_stdouts=False,
        worker_cancel_long_running_tasks_on_connection_loss=False,
    )
    return app
