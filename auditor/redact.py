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

_EXTRA_PATTERN_TEXTS: tuple[str, ...] = (
    r"(?i)aws_secret_access_key\s*[=:]\s*\S+",
    r"\b(?:AKIA|ASIA)[A-Z0-9]{16}\b",  # AWS access key id (also in detect-secrets; kept as a floor)
    r"(?i)(?:AccountKey|SharedAccessKey|SharedAccessSignature|Password|Pwd)\s*=\s*[^;\s]+",
    r"(?i)\b[a-z0-9]+://[^:/\s@]+:[^@\s/]+@",  # any URL with a password
    r"\bxox[abpr]-[A-Za-z0-9-]{10,}\b",
    r"\bAIza[0-9A-Za-z_-]{35}\b",  # Google API key
    r"(?i)\bsig=[A-Za-z0-9%/+=]{20,}",  # SAS signature
    r"(?i)https://hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9_/+-]+",
    r"\bsk_(?:live|test)_[0-9A-Za-z]{10,}\b|\brk_live_[0-9A-Za-z]{10,}\b",
    r"\bgh[pousr]_[A-Za-z0-9]{30,}\b|\bgithub_pat_[A-Za-z0-9_]{40,}\b|\bglpat-[A-Za-z0-9_-]{20}\b",
    r"\beyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*",  # JWT (header.payload.sig)
)
_EXTRA_PATTERN = re.compile(
    "|".join(f"(?i:{p[4:]})" if p.startswith("(?i)") else f"(?:{p})" for p in _EXTRA_PATTERN_TEXTS)
)
# ``password: x``, ``token=x``, ``"api_token": "x"``: a secret-named word assigned a value.
# The separator needs a space or quotes around ``:`` so an ARN (``...:secret:prod/db``) is not one.
_ASSIGNMENT = re.compile(
    r"(?i)(?<![a-z0-9])[a-z0-9_.-]*(?:password|passwd|pwd|secret|token|api[_-]?key|private[_-]?key)s?"
    r"(?:\s*=\s*[\"']?|[\"']?\s*:\s+[\"']?|[\"']\s*:\s*[\"'])([^\s\"',;&}]+)"
)
_PRIVATE_KEY = re.compile(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY")
# A cheap C-level prefilter (lower-cased): every detector needs one of these fragments.
_HINT = re.compile(
    r"akia|asia|-----begin|eyj|gh[pousr]_|github_pat|glpat-|xox|hooks\.slack|sk_live|sk_test|rk_live|sk-|npm_|"
    r"pypi-|aiza|sig=|://|pass|pwd|secret|token|key|auth|[a-z0-9/+]{40}"
)

# detect-secrets plugins used (by module and class); entropy and public-IP ones are left out.
_PLUGINS = (
    ("aws", "AWSKeyDetector"), ("azure_storage_key", "AzureStorageKeyDetector"),
    ("basic_auth", "BasicAuthDetector"), ("github_token", "GitHubTokenDetector"),
    ("gitlab_token", "GitLabTokenDetector"), ("jwt", "JwtTokenDetector"), ("private_key", "PrivateKeyDetector"),
    ("slack", "SlackDetector"), ("stripe", "StripeDetector"), ("keyword", "KeywordDetector"),
    ("openai", "OpenAIDetector"), ("npm", "NpmDetector"), ("pypi_token", "PypiTokenDetector"),
    ("sendgrid", "SendGridDetector"), ("discord", "DiscordBotTokenDetector"), ("twilio", "TwilioKeyDetector"),
    ("artifactory", "ArtifactoryDetector"), ("mailchimp", "MailchimpDetector"),
    ("square_oauth", "SquareOAuthDetector"), ("telegram_token", "TelegramBotTokenDetector"),
)
# Secrets of these kinds may be guessable: never fingerprinted.
_LOW_ENTROPY_KINDS = frozenset({"Secret Keyword", "Basic Auth Credentials", "assignment", "url-password"})


@lru_cache(maxsize=1)
def _detectors() -> tuple[Any, ...]:
    """Instantiated on first use (importing detect-secrets is not free)."""
    import importlib

    out = []
    for module, cls in _PLUGINS:
        try:
            out.append(getattr(importlib.import_module(f"detect_secrets.plugins.{module}"), cls)())
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
    if len(value) < 6 or _HINT.search(value.lower()) is None:
        return []
    found: list[tuple[str, str]] = []
    if _PRIVATE_KEY.search(value):
        return [(value, "Private Key")]
    for line in value.splitlines() or [value]:
        for det in _detectors():
            try:
                hits = det.analyze_line(filename="cloud.txt", line=line, line_number=1)
            except Exception:  # noqa: BLE001 - a detector bug must not stop collection; other nets remain
                continue
            for h in hits:
                if h.secret_value:
                    found.append((h.secret_value, h.type))
    for m in _ASSIGNMENT.finditer(value):
        found.append((m.group(1), "assignment"))
    for m in _EXTRA_PATTERN.finditer(value):
        text = m.group(0)
        kind = "url-password" if "://" in text and "@" in text else "pattern"
        if kind == "url-password":
            text = text.rsplit(":", 1)[1].rstrip("@")
        found.append((text, kind))
    if len(value) >= 40:
        found.extend((t, "aws-secret") for t in _aws_secret_like(value))
    return found


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
