"""A loopback HTTPS fake of Azure Resource Manager (read-only), for tests and `auditor demo`.

It serves a declarative estate (see azure_estate.py) through the real azure-mgmt-* clients:
subscription-wide and resource-group listings, child collections, item GETs, management
group descendants, absolute ``nextLink`` URLs with an opaque ``$skiptoken``, and the faults a
collector must survive: 403 AuthorizationFailed (per subscription or per provider
namespace), 429 with Retry-After, 409 MissingSubscriptionRegistration. Any Bearer token is
accepted. Nothing starts at import time: ``AzureFake(estate).start()`` or use it as a
context manager. :class:`ArmRouter` is the transport-free core (also used with ``responses``).
"""

from __future__ import annotations

import base64
import json
import os
import re
import ssl
import tempfile
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

Response = tuple[int, dict[str, str], bytes]

_SUB_LIST = re.compile(r"^/subscriptions/([^/]+)/providers/([^/]+)/([^/]+)$")
_RG_LIST = re.compile(r"^/subscriptions/([^/]+)/resourcegroups/([^/]+)/providers/([^/]+)/([^/]+)$")
_TENANT_LIST = re.compile(r"^/providers/[^/]+/[^/]+$")
_MG_DESC = re.compile(r"^/providers/microsoft\.management/managementgroups/([^/]+)/descendants$")
_FILTER_EQ = re.compile(r"(\w+)\s+eq\s+'([^']*)'", re.IGNORECASE)
# Extension types ARM lists only at the scope they are read at: a subscription's diagnostic settings
# are its activity-log exports, never the settings of resources inside it.
_SCOPE_ONLY = frozenset({("microsoft.insights", "diagnosticsettings")})


def read_action_for_path(path: str) -> str:
    """The ARM read action a GET on ``path`` needs, e.g. Microsoft.Storage/storageAccounts/read."""
    segs = [s for s in urlsplit(path).path.split("/") if s]
    idx = [i for i, s in enumerate(segs) if s.lower() == "providers"]
    if not idx:
        if segs and segs[0].lower() == "subscriptions" and len(segs) <= 2:
            return "Microsoft.Resources/subscriptions/read"
        return "Microsoft.Resources/subscriptions/resourceGroups/read"
    i = idx[-1]
    ns, rest = segs[i + 1], segs[i + 2:]
    return "/".join([ns, *rest[0::2], "read"])


def _error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> Response:
    body = json.dumps({"error": {"code": code, "message": message}}).encode()
    return status, {"Content-Type": "application/json; charset=utf-8", **(headers or {})}, body


@dataclass
class Throttle:
    path_contains: str
    retry_after: int = 1
    times: int | None = None  # None: forever


@dataclass
class Faults:
    denied_subscriptions: set[str] = field(default_factory=set)
    denied_namespaces: set[tuple[str, str]] = field(default_factory=set)  # (subscription, namespace)
    unregistered: set[tuple[str, str]] = field(default_factory=set)  # (subscription, namespace)
    throttles: list[Throttle] = field(default_factory=list)


class ArmRouter:
    """Routes ARM GETs to items of a declarative estate; thread-safe; records every request."""

    def __init__(self, estate: dict[str, Any], base_url: str = "https://management.azure.com") -> None:
        self.base_url = base_url.rstrip("/")
        self.tenant_id = estate.get("tenant_id", "00000000-0000-0000-0000-000000000000")
        self.page_size = int(estate.get("page_size", 100))
        self.subscriptions = [self._subscription_doc(s) for s in estate.get("subscriptions", [])]
        self.management_groups: dict[str, list[str]] = {k.lower(): v for k, v in estate.get("management_groups", {}).items()}
        self.items: dict[str, dict[str, Any]] = {}
        for doc in estate.get("resources", []):
            self.items[doc["id"].lower()] = doc
        # Microsoft Graph singletons served on the same host under /v1.0 (path after /v1.0 -> body)
        self.graph: dict[str, dict[str, Any]] = {k.lower(): v for k, v in estate.get("graph", {}).items()}
        f = estate.get("faults", {})
        self.graph_denied = bool(f.get("graph_denied"))
        self.faults = Faults(
            denied_subscriptions={s.lower() for s in f.get("denied_subscriptions", [])},
            denied_namespaces={(s.lower(), ns.lower()) for s, ns in f.get("denied_namespaces", [])},
            unregistered={(s.lower(), ns.lower()) for s, ns in f.get("unregistered", [])},
            throttles=[Throttle(**t) for t in f.get("throttles", [])],
        )
        self.requests: list[tuple[str, str]] = []
        self._lock = threading.Lock()

    # ---- fault controls -------------------------------------------------------------------

    def deny_subscription(self, sub: str) -> None:
        self.faults.denied_subscriptions.add(sub.lower())

    def deny_namespace(self, sub: str, namespace: str) -> None:
        self.faults.denied_namespaces.add((sub.lower(), namespace.lower()))

    def unregister(self, sub: str, namespace: str) -> None:
        self.faults.unregistered.add((sub.lower(), namespace.lower()))

    def throttle(self, path_contains: str, retry_after: int = 1, times: int | None = None) -> None:
        self.faults.throttles.append(Throttle(path_contains.lower(), retry_after, times))

    def clear_faults(self) -> None:
        self.faults = Faults()

    # ---- routing --------------------------------------------------------------------------

    def handle(self, method: str, url: str, headers: dict[str, str]) -> Response:
        parts = urlsplit(url)
        path = parts.path.rstrip("/") or "/"
        query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        with self._lock:
            self.requests.append((method, parts.path + ("?" + parts.query if parts.query else "")))
        auth = next((v for k, v in headers.items() if k.lower() == "authorization"), "")
        if not auth.lower().startswith("bearer ") or not auth[7:].strip():
            return _error(401, "AuthenticationFailed", "Authentication failed. The 'Authorization' header is missing.")
        if method != "GET":
            return _error(405, "MethodNotAllowed", f"The fake ARM endpoint is read-only ({method} {path}).")
        if path.lower().startswith("/v1.0/"):
            return self._graph(path[len("/v1.0"):])
        fault = self._fault(path)
        if fault is not None:
            return fault
        low = path.lower()
        if low == "/subscriptions":
            return self._page(path, query, self.subscriptions)
        m = _MG_DESC.match(low)
        if m:
            if m.group(1) not in self.management_groups:
                return _error(404, "NotFound", f"'/providers/Microsoft.Management/managementGroups/{m.group(1)}' not found")
            return self._page(path, query, self._descendants(m.group(1)))
        if low in self.items:
            return self._json(200, self.items[low])
        sub_doc = next((s for s in self.subscriptions if s["id"].lower() == low), None)
        if sub_doc is not None:
            return self._json(200, sub_doc)
        listing = self._list(low)
        if listing is None:
            return _error(404, "ResourceNotFound", f"The Resource '{path}' was not found.")
        return self._page(path, query, self._filter(listing, query.get("$filter")))

    def _graph(self, path: str) -> Response:
        """A Graph GET: 403 Authorization_RequestDenied when the app has no Graph consent."""
        if self.graph_denied:
            return _error(403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
        from urllib.parse import unquote

        doc = self.graph.get(unquote(path).lower())
        if doc is None:
            return _error(404, "Request_ResourceNotFound", f"Resource '{path}' does not exist.")
        return self._json(200, doc)

    def _fault(self, path: str) -> Response | None:
        low = path.lower()
        m = re.match(r"^/subscriptions/([^/]+)", low)
        sub = m.group(1) if m else ""
        ns_match = re.search(r"/providers/([^/]+)", low)
        ns = ns_match.group(1) if ns_match else ""
        # ARM authorises the action on the innermost provider (an extension resource such as a vault's
        # diagnostic settings needs Microsoft.Insights/diagnosticSettings/read, not Key Vault rights)
        action_ns = read_action_for_path(path).split("/", 1)[0].lower()
        with self._lock:
            for t in self.faults.throttles:
                if t.path_contains.lower() in low and (t.times is None or t.times > 0):
                    if t.times is not None:
                        t.times -= 1
                    return _error(429, "TooManyRequests",
                                  "The request is being throttled as the limit has been reached for operation type - Read.",
                                  {"Retry-After": str(t.retry_after),
                                   "x-ms-ratelimit-remaining-subscription-reads": "0"})
        if (sub and sub in self.faults.denied_subscriptions) or (ns and (sub, action_ns) in self.faults.denied_namespaces):
            scope = f"/subscriptions/{sub}" if sub else "/"  # ("", namespace): a tenant-scope provider denied
            return _error(403, "AuthorizationFailed",
                          f"The client 'auditor@contoso.example' with object id '0b2f6a4e-3c1d-4e8f-9a7b-6c5d4e3f2a10' "
                          f"does not have authorization to perform action '{read_action_for_path(path)}' over scope "
                          f"'{scope}' or the scope is invalid. If access was recently granted, please refresh your "
                          f"credentials.")
        if sub and ns and (sub, ns) in self.faults.unregistered:
            name = ns_match.group(0).split("/")[-1] if ns_match else ns
            real = next((p for p in path.split("/") if p.lower() == name), name)
            return _error(409, "MissingSubscriptionRegistration",
                          f"The subscription is not registered to use namespace '{real}'. See "
                          f"https://aka.ms/rps-not-found for how to register subscriptions.")
        return None

    def _list(self, low: str) -> list[dict[str, Any]] | None:
        m = _SUB_LIST.match(low)
        if m:
            sub, ns, typ = m.groups()
            # anything of that type in the subscription, also extension resources nested under another
            # resource (e.g. .../virtualMachines/vm/providers/Microsoft.Security/assessments/{id})
            nested = "" if (ns, typ) in _SCOPE_ONLY else "(/resourcegroups/[^/]+(/.+)?)?"
            pat = re.compile(rf"^/subscriptions/{re.escape(sub)}{nested}/providers/"
                             rf"{re.escape(ns)}/{re.escape(typ)}/[^/]+$")
            return [d for k, d in self.items.items() if pat.match(k)]
        m = _RG_LIST.match(low)
        if m:
            sub, rg, ns, typ = m.groups()
            prefix = f"/subscriptions/{sub}/resourcegroups/{rg}/providers/{ns}/{typ}/"
            return [d for k, d in self.items.items() if k.startswith(prefix) and "/" not in k[len(prefix):]]
        if _TENANT_LIST.match(low):  # a tenant-scope provider collection, e.g. microsoft.aadiam/diagnosticSettings
            return [d for k, d in self.items.items() if k.startswith(low + "/") and "/" not in k[len(low) + 1:]]
        if not any(low.startswith(k + "/") for k in self.items):
            return None  # no existing ancestor: an unknown path, not an empty collection
        after = low.split("/providers/")[-1].split("/")[1:] if "/providers/" in low else []
        if len(after) % 2 == 0:
            return None  # .../type/name: an item that does not exist (404), never an empty collection
        return [d for k, d in self.items.items() if k.startswith(low + "/") and "/" not in k[len(low) + 1:]]

    @staticmethod
    def _filter(items: list[dict[str, Any]], text: str | None) -> list[dict[str, Any]]:
        if not text:
            return items
        out = items
        for key, value in _FILTER_EQ.findall(text):
            out = [d for d in out if str((d.get("properties") or {}).get(key, d.get(key, ""))).lower() == value.lower()]
        return out

    def _descendants(self, group: str) -> list[dict[str, Any]]:
        out = []
        for sub in self.management_groups.get(group, []):
            doc = next((s for s in self.subscriptions if s["subscriptionId"].lower() == sub.lower()), None)
            out.append({
                "id": f"/subscriptions/{sub}",
                "type": "Microsoft.Management/managementGroups/subscriptions",
                "name": sub,
                "properties": {"displayName": (doc or {}).get("displayName", sub),
                               "parent": {"id": f"/providers/Microsoft.Management/managementGroups/{group}"}},
            })
        return out

    def _page(self, path: str, query: dict[str, str], items: list[dict[str, Any]]) -> Response:
        start = 0
        token = query.get("$skiptoken")
        if token:
            try:
                start = int(base64.urlsafe_b64decode(token.encode()).decode().split(":", 1)[1])
            except (ValueError, IndexError):
                return _error(400, "InvalidSkipToken", f"The skip token '{token}' is not valid.")
        items = sorted(items, key=lambda d: d["id"].lower())
        page = items[start:start + self.page_size]
        body: dict[str, Any] = {"value": page}
        if start + self.page_size < len(items):
            nxt = base64.urlsafe_b64encode(f"offset:{start + self.page_size}".encode()).decode()
            extra = "".join(f"&{quote(k, safe='$')}={quote(v, safe='')}" for k, v in query.items()
                            if k not in ("$skiptoken", "api-version"))
            body["nextLink"] = (f"{self.base_url}{path}?api-version={query.get('api-version', '2024-01-01')}"
                                f"{extra}&$skiptoken={quote(nxt, safe='')}")
        return self._json(200, body)

    @staticmethod
    def _json(status: int, doc: Any) -> Response:
        return status, {"Content-Type": "application/json; charset=utf-8"}, json.dumps(doc).encode()

    def _subscription_doc(self, s: dict[str, Any]) -> dict[str, Any]:
        sid = s["subscriptionId"]
        return {
            "id": f"/subscriptions/{sid}",
            "subscriptionId": sid,
            "tenantId": s.get("tenantId", self.tenant_id),
            "displayName": s.get("displayName", sid),
            "state": s.get("state", "Enabled"),
            "subscriptionPolicies": {"locationPlacementId": "Public_2014-09-01", "quotaId": "EnterpriseAgreement_2014-09-01",
                                     "spendingLimit": "Off"},
            "authorizationSource": "RoleBased",
            "managedByTenants": [{"tenantId": t} for t in s.get("managedByTenants", [])],
        }


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    router: ArmRouter  # set on the per-server subclass

    def do_GET(self) -> None:  # noqa: N802 - http.server naming
        self._serve("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._serve("POST")

    def do_PUT(self) -> None:  # noqa: N802
        self._serve("PUT")

    def do_DELETE(self) -> None:  # noqa: N802
        self._serve("DELETE")

    def _serve(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        status, headers, body = self.router.handle(method, self.path, dict(self.headers.items()))
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet server
        return None


class _TLSServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, addr: tuple[str, int], handler: type, ssl_ctx: ssl.SSLContext) -> None:
        super().__init__(addr, handler)
        self.ssl_ctx = ssl_ctx

    def finish_request(self, request: Any, client_address: Any) -> None:
        # The TLS handshake runs in the request's own thread, never in the accept loop.
        tls = self.ssl_ctx.wrap_socket(request, server_side=True)
        try:
            super().finish_request(tls, client_address)
        finally:
            tls.close()

    def handle_error(self, request: Any, client_address: Any) -> None:
        return None  # clients dropping connections are not test failures


class AzureFake:
    """The HTTPS server around an :class:`ArmRouter`; port 0, certificate from ``trustme``."""

    def __init__(self, estate: dict[str, Any], host: str = "127.0.0.1") -> None:
        self.estate = estate
        self.host = host
        self.router: ArmRouter | None = None
        self._server: _TLSServer | None = None
        self._thread: threading.Thread | None = None
        self._ca_dir: tempfile.TemporaryDirectory[str] | None = None
        self.base_url = ""
        self.ca_bundle = ""

    def start(self) -> tuple[str, str]:
        import trustme

        ca = trustme.CA()
        cert = ca.issue_cert(self.host, "localhost")
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        cert.configure_cert(ctx)
        self._ca_dir = tempfile.TemporaryDirectory(prefix="azure-fake-")
        self.ca_bundle = os.path.join(self._ca_dir.name, "ca.pem")
        ca.cert_pem.write_to_path(self.ca_bundle)
        self.router = ArmRouter(self.estate)
        handler = type("Handler", (_Handler,), {"router": self.router})
        self._server = _TLSServer((self.host, 0), handler, ctx)
        self.base_url = f"https://{self.host}:{self._server.server_address[1]}"
        self.router.base_url = self.base_url
        self._thread = threading.Thread(target=self._server.serve_forever, name="azure-fake", daemon=True)
        self._thread.start()
        return self.base_url, self.ca_bundle

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        if self._ca_dir is not None:
            self._ca_dir.cleanup()
            self._ca_dir = None

    def __enter__(self) -> "AzureFake":
        self.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()
