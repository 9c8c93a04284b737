"""Secret redaction applied at collection time and in logs: no secret-looking value is stored.

Three nets, all applied to every stored string (name, native id, resource key, tag keys and
values, config, policies, paths):

- **key names**: a value whose key says it holds a secret (``password``, ``DB_PASSWORD``,
  ``api_token``, ``deploy_token``, ``app_secret``, user data, connection strings...) is replaced,
  also in ``[{"Key": "DB_PASSWORD", "Value": ...}]`` name/value lists;
- **detect-secrets plugins** (maintained detectors for AWS keys, private keys, JWTs, GitHub,
  GitLab, Slack tokens and webhooks, Stripe, basic-auth URLs, keyword assignments, ...), minus
  the high-entropy and public-IP plugins, whose false positives would hit ARNs and digests;
- **a few extra shapes** the plugins lack (``token=x``, Azure connection strings, SAS
  signatures, Google API keys, AWS secret keys).

Values are replaced whole by ``<redacted>``. Identity strings (name, native id, resource key,
dict keys) must stay unique and stable, so only the secret part is replaced, by
``<redacted:XXXXXXXX>`` (8 hex of a domain-separated SHA-256 of the secret): the same secret
always gives the same key, different secrets different keys. Low-entropy secrets (keyword
assignments, URL passwords) get a plain ``<redacted>`` there, since a short hash of a weak
password could be reversed by guessing; a private key block replaces the whole string.
"""

from __future__ import annotations

import hashlib
import logging
import re
from functools import lru_cache
from typing import Any

from auditor.canonical import to_jsonable

REDACTED = "<redacted>"

# Key names (case-insensitive, compared without separators) whose values are secrets.
SECRET_KEY_NAMES = frozenset(
    name.replace("_", "").replace("-", "").lower()
    for name in (
        "password", "passwd", "secret", "secretkey", "secretaccesskey", "clientsecret",
        "privatekey", "privatekeydata", "apikey", "accesstoken", "refreshtoken", "token",
        "sessiontoken", "connectionstring", "connectionstrings", "userdata", "customdata",
        "startupscript", "startup-script", "adminpassword", "sharedkey", "accountkey",
        "sasToken", "primarykey", "secondarykey", "credentials", "credential",
        "authorization", "cookie",
    )
)
# ...and any key *ending* in one of these (DB_PASSWORD, api_token, deploy_token, app_secret).
SECRET_KEY_SUFFIXES = (
    "password", "passwd", "pwd", "secret", "secretkey", "token", "apikey", "privatekey",
    "secretaccesskey", "credentials", "connectionstring", "connectionstrings", "sastoken", "accountkey",
)

# (literal lower-case fragments, at least one of which must be present; pattern; kind)
_EXTRA_PATTERNS: tuple[tuple[tuple[str, ...], re.Pattern[str], str], ...] = tuple(
    (gates, re.compile(pattern), kind) for gates, pattern, kind in (
        (("aws_secret_access_key",), r"(?i)aws_secret_access_key\s*[=:]\s*\S+", "pattern"),
        (("akia", "asia"), r"\b(?:AKIA|ASIA)[A-Z0-9]{16}\b", "pattern"),
        (("accountkey", "sharedaccess", "password", "pwd"),
         r"(?i)(?:AccountKey|SharedAccessKey|SharedAccessSignature|Password|Pwd)\s*=\s*[^;\s]+", "pattern"),
        (("://",), r"(?<=://)[^:/\s@]+:([^@\s/]+)@", "url-password"),
        (("xox",), r"\bxox[abpr]-[A-Za-z0-9-]{10,}\b", "pattern"),
        (("aiza",), r"\bAIza[0-9A-Za-z_-]{35}\b", "pattern"),
        (("sig=",), r"(?i)\bsig=[A-Za-z0-9%/+=]{20,}", "pattern"),
        (("hooks.slack",), r"(?i)https://hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9_/+-]+", "pattern"),
        (("sk_live", "sk_test", "rk_live"), r"\b[sr]k_(?:live|test)_[0-9A-Za-z]{10,}\b", "pattern"),
        (("gh", "glpat-"), r"\bgh[pousr]_[A-Za-z0-9]{30,}\b|\bgithub_pat_[A-Za-z0-9_]{40,}\b|\bglpat-[A-Za-z0-9_-]{20}\b",
         "pattern"),
        (("eyj",), r"\beyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*", "pattern"),  # JWT
    )
)
_EXTRA_GATES = tuple(sorted({g for gates, _p, _k in _EXTRA_PATTERNS for g in gates}))
# ``password: x``, ``token=x``, ``"api_token": "x"``: a secret-named word assigned a value.
# The separator needs a space or quotes around ``:`` so an ARN (``...:secret:prod/db``) is not one.
_ASSIGNMENT = re.compile(
    r"(?i)(?:password|passwd|pwd|secret|token|api[_-]?key|private[_-]?key)s?"
    r"(?:\s*=\s*[\"']?|[\"']?\s*:\s+[\"']?|[\"']\s*:\s*[\"'])([^\s\"',;&}]+)"
)
_ASSIGNMENT_WORDS = ("pass", "pwd", "secret", "token", "key")
_PRIVATE_KEY = re.compile(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY")
# A cheap C-level prefilter (substring tests on the lower-cased text; Python's regex engine is
# slow on literal alternations): every detector needs one of these fragments.
_HINTS = (
    "akia", "asia", "abia", "acca", "a3t", "-----begin", "eyj", "gh", "glpat", "xox", "hooks.slack", "sk_",
    "rk_live", "t3blbkfj", "npm_", "pypi-", "sg.", "aiza", "sig=", "://", "pass", "pwd", "secret", "token", "key",
)

# detect-secrets plugins used, each behind the lower-case fragments its patterns need (most
# strings then run no plugin at all). Entropy and public-IP plugins are left out (digests and
# ARNs would match); plugins without a literal anchor (Discord, Twilio...) are too costly here.
_PLUGINS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("aws", "AWSKeyDetector", ("akia", "asia", "abia", "acca", "a3t")),
    ("azure_storage_key", "AzureStorageKeyDetector", ("accountkey",)),
    ("basic_auth", "BasicAuthDetector", ("://",)),
    ("github_token", "GitHubTokenDetector", ("ghp_", "gho_", "ghu_", "ghs_", "ghr_")),
    ("gitlab_token", "GitLabTokenDetector", ("glpat-", "gldt-", "glptt-", "glrt-", "gloas-", "glcbt-", "glimt-")),
    ("jwt", "JwtTokenDetector", ("eyj",)),
    ("private_key", "PrivateKeyDetector", ("private key", "-----begin")),
    ("slack", "SlackDetector", ("xox", "hooks.slack")),
    ("stripe", "StripeDetector", ("sk_live", "rk_live")),
    ("keyword", "KeywordDetector", ('"', "'")),  # with one of _ASSIGNMENT_WORDS, checked first
    ("openai", "OpenAIDetector", ("t3blbkfj",)),
    ("npm", "NpmDetector", ("npm_", "_authtoken")),
    ("pypi_token", "PypiTokenDetector", ("pypi-",)),
    ("sendgrid", "SendGridDetector", ("sg.",)),
)
# Secrets of these kinds may be guessable: never fingerprinted.
_LOW_ENTROPY_KINDS = frozenset({"Secret Keyword", "Basic Auth Credentials", "assignment", "url-password"})


_ALL_GATES = tuple(sorted({g for _m, _c, gates in _PLUGINS for g in gates if g not in ('"', "'")}))


@lru_cache(maxsize=1)
def _detectors() -> tuple[tuple[Any, tuple[str, ...]], ...]:
    """(plugin, gate) pairs, instantiated on first use (importing detect-secrets is not free)."""
    import importlib

    out = []
    for module, cls, gate in _PLUGINS:
        try:
            out.append((getattr(importlib.import_module(f"detect_secrets.plugins.{module}"), cls)(), gate))
        except (ImportError, AttributeError):  # a plugin renamed upstream: the other nets remain
            continue
    return tuple(out)


def _norm(key: str) -> str:
    return key.replace("_", "").replace("-", "").replace(".", "").lower()


_AWS_SECRET_CANDIDATE = re.compile(r"(?<![A-Za-z0-9/+=])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])")


def _aws_secret_like(value: str) -> list[str]:
    """40 base64 characters in mixed case with digits: an AWS secret key's shape.
    Hex digests (thumbprints, hashes) are all one case and are not matched."""
    return [t for t in (m.group(0) for m in _AWS_SECRET_CANDIDATE.finditer(value))
            if any(c.isupper() for c in t) and any(c.islower() for c in t) and any(c.isdigit() for c in t)]


def find_secrets(value: str) -> list[tuple[str, str]]:
    """(secret text, kind) pairs found in ``value``; empty for the vast majority of strings."""
    if len(value) < 6:
        return []
    if len(value) > 256:
        return list(_find(value))
    return list(_find_cached(value))


@lru_cache(maxsize=65536)
def _find_cached(value: str) -> tuple[tuple[str, str], ...]:
    """Cloud strings repeat (policy actions, descriptions, ARNs shared by many resources)."""
    return _find(value)


def _find(value: str) -> tuple[tuple[str, str], ...]:
    lower = value.lower()
    if not any(h in lower for h in _HINTS) and not (len(value) >= 40 and _aws_secret_like(value)):
        return ()
    found: list[tuple[str, str]] = []
    if "private key" in lower and _PRIVATE_KEY.search(value):
        return ((value, "Private Key"),)
    worded = ("=" in value or ": " in value or '"' in value or "'" in value) \
        and any(w in lower for w in _ASSIGNMENT_WORDS)
    active = [det for det, gate in _detectors()
              if any(g in lower for g in gate) and (worded or det.__class__.__name__ != "KeywordDetector")] \
        if worded or any(g in lower for g in _ALL_GATES) else []
    for line in (value.splitlines() or [value]) if active else ():
        for det in active:
            try:
                hits = det.analyze_line(filename="cloud.txt", line=line, line_number=1)
            except Exception:  # noqa: BLE001 - a detector bug must not stop collection; other nets remain
                continue
            for h in hits:
                if h.secret_value:
                    found.append((h.secret_value, h.type))
    if worded:
        found.extend((m.group(1), "assignment") for m in _ASSIGNMENT.finditer(value))
    for gates, pattern, kind in _EXTRA_PATTERNS if any(g in lower for g in _EXTRA_GATES) else ():
        if any(g in lower for g in gates):
            found.extend((m.group(1) if pattern.groups else m.group(0), kind) for m in pattern.finditer(value))
    if len(value) >= 40:
        found.extend((t, "aws-secret") for t in _aws_secret_like(value))
    return tuple(found)


def looks_secret(value: str) -> bool:
    return bool(find_secrets(value))


def fingerprint(secret: str) -> str:
    return hashlib.sha256(b"auditor-redact/1\0" + secret.encode("utf-8", "replace")).hexdigest()[:8]


def redact_identity(value: str) -> str:
    """``value`` with only its secret parts replaced: identity stays readable, stable, unique."""
    found = find_secrets(value)
    if not found:
        return value
    if any(kind == "Private Key" for _, kind in found):
        return f"<redacted:{fingerprint(value)}>"
    out = value
    for secret, kind in sorted(found, key=lambda f: -len(f[0])):  # longest first: no partial leftovers
        if not secret or secret not in out:
            continue
        out = out.replace(secret, REDACTED if kind in _LOW_ENTROPY_KINDS else f"<redacted:{fingerprint(secret)}>")
    if out == value:  # found but not locatable verbatim: give up on partial
        return f"<redacted:{fingerprint(value)}>"
    return out


@lru_cache(maxsize=8192)
def _redact_key(key: str) -> str:
    """Dict keys repeat across resources (``KmsKeyId``...): scanned once each."""
    return redact_identity(key)


@lru_cache(maxsize=4096)
def is_secret_key(key: str) -> bool:
    n = _norm(key)
    return n in SECRET_KEY_NAMES or n.endswith(SECRET_KEY_SUFFIXES)


_PAIR_NAMES = ("Key", "key", "Name", "name")
_PAIR_VALUES = ("Value", "value")


def _secret_pair(d: dict[Any, Any]) -> str | None:
    """The value key of a ``{"Key": "DB_PASSWORD", "Value": ...}`` pair whose name is secret."""
    for vk in _PAIR_VALUES:
        if vk in d:
            for nk in _PAIR_NAMES:
                name = d.get(nk)
                if isinstance(name, str) and is_secret_key(name):
                    return vk
    return None


def _secret_value(v: Any) -> bool:
    """A secret-named key's value is replaced unless it is empty or a flag/number."""
    return v is not None and v not in ("", [], {}) and type(v) not in (bool, int, float)


def redact(value: Any, *, keep_keys: frozenset[str] = frozenset()) -> Any:
    """A copy of ``value`` with secret-named keys and secret-shaped strings replaced.

    ``keep_keys`` names keys whose values are known-safe metadata despite their name
    (e.g. an access key's *id* is metadata; callers opt in explicitly).
    """
    if isinstance(value, dict):
        pair = _secret_pair(value)
        out = {}
        for k, v in value.items():
            key = _redact_key(k) if isinstance(k, str) else k
            if (isinstance(k, str) and k not in keep_keys and is_secret_key(k) or k == pair) and _secret_value(v):
                out[key] = REDACTED
            else:
                out[key] = redact(v, keep_keys=keep_keys)
        return out
    if isinstance(value, list):
        return [redact(v, keep_keys=keep_keys) for v in value]
    if isinstance(value, str) and looks_secret(value):
        return REDACTED
    return value


def clean(value: Any) -> Any:
    """One pass that converts SDK values to plain JSON types *and* redacts secrets.

    The same result as ``redact(to_jsonable(value))`` in one walk; this runs on every
    resource of every collection, so it is worth the second function.
    """
    t = type(value)
    if t is str:
        return REDACTED if find_secrets(value) else value
    if t is dict:
        pair = _secret_pair(value)
        out = {}
        for k, v in value.items():
            if type(k) is not str:
                k = str(k)
            if (is_secret_key(k) or k == pair) and _secret_value(v):
                out[_redact_key(k)] = REDACTED
            else:
                out[_redact_key(k)] = clean(v)
        return out
    if t is list or t is tuple:
        return [clean(v) for v in value]
    if value is None or t is bool or t is int or t is float:
        return value
    return clean(to_jsonable(value))


class RedactingFilter(logging.Filter):
    """Log records never carry secrets: the formatted message (and traceback) is redacted."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a bad format string is the logging module's to report
            return True
        red = redact_identity(message)
        if red != message:
            record.msg, record.args = red, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact_identity(record.exc_text)
        return True


def install_log_redaction(logger: logging.Logger | None = None) -> None:
    """Attach the filter to every handler of ``logger`` (default: root), where propagated
    records pass (a filter on a logger would only see that logger's own records)."""
    for handler in (logger or logging.getLogger()).handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())
