"""Secret redaction applied at collection time: no secret-looking value is ever stored.

Two nets: keys whose *name* says they hold a secret (password, user data, connection
string, ...) have their value replaced; any string whose *shape* is a known credential
(AWS secret keys, PEM private keys, JWTs, storage connection strings, ...) is replaced
wherever it appears.
"""

from __future__ import annotations

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

_VALUE_PATTERN_TEXTS: tuple[str, ...] = (
        r"-----BEGIN [A-Z ]*PRIVATE KEY-----",
        r"(?i)aws_secret_access_key\s*[=:]",
        r"\b(?:AKIA|ASIA)[A-Z0-9]{16}\b",  # AWS access key id
        r"\beyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}",  # JWT
        r"(?i)(?:AccountKey|SharedAccessKey|SharedAccessSignature|Password|Pwd)\s*=\s*[^;\s]+",
        r"(?i)\b(?:postgres(?:ql)?|mysql|mongodb(?:\+srv)?|redis|amqp)://[^:\s/]+:[^@\s]+@",
        r"\bghp_[A-Za-z0-9]{36}\b|\bgithub_pat_[A-Za-z0-9_]{40,}\b",
        r"\bxox[abpr]-[A-Za-z0-9-]{10,}\b",  # Slack tokens
        r"\bAIza[0-9A-Za-z_-]{35}\b",  # Google API key
        r"(?i)\bsig=[A-Za-z0-9%/+=]{20,}",  # SAS signature
)
# One alternation: a single scan per string instead of one per pattern.
_VALUE_PATTERN = re.compile(
    "|".join(f"(?i:{p[4:]})" if p.startswith("(?i)") else f"(?:{p})" for p in _VALUE_PATTERN_TEXTS)
)


# Literal fragments at least one of which every value pattern contains: a cheap C-level
# prefilter so the full regex only runs on the rare strings that could match.
_HINTS = ("=", "://", "-----", "AKIA", "ASIA", "eyJ", "ghp_", "github_pat_", "xox", "AIza", "ws_secret")


def _norm(key: str) -> str:
    return key.replace("_", "").replace("-", "").lower()


_AWS_SECRET_CANDIDATE = re.compile(r"(?<![A-Za-z0-9/+=])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])")


def _aws_secret_like(value: str) -> bool:
    """40 base64 characters in mixed case with digits: an AWS secret key's shape.

    Hex digests (thumbprints, hashes) are all one case and are not matched.
    """
    for m in _AWS_SECRET_CANDIDATE.finditer(value):
        t = m.group(0)
        if any(c.isupper() for c in t) and any(c.islower() for c in t) and any(c.isdigit() for c in t):
            return True
    return False


def looks_secret(value: str) -> bool:
    if len(value) < 8:
        return False
    if any(h in value for h in _HINTS) and _VALUE_PATTERN.search(value) is not None:
        return True
    return len(value) >= 40 and _aws_secret_like(value)


@lru_cache(maxsize=4096)
def is_secret_key(key: str) -> bool:
    return _norm(key) in SECRET_KEY_NAMES


def redact(value: Any, *, keep_keys: frozenset[str] = frozenset()) -> Any:
    """A copy of ``value`` with secret-named keys and secret-shaped strings replaced.

    ``keep_keys`` names keys whose values are known-safe metadata despite their name
    (e.g. an access key's *id* is metadata; callers opt in explicitly).
    """
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if isinstance(k, str) and k not in keep_keys and is_secret_key(k) and v not in (None, "", [], {}):
                if isinstance(v, (bool, int, float)):
                    out[k] = v  # flags such as "passwordEnabled: true" are not secrets
                else:
                    out[k] = REDACTED
            else:
                out[k] = redact(v, keep_keys=keep_keys)
        return out
    if isinstance(value, list):
        return [redact(v, keep_keys=keep_keys) for v in value]
    if isinstance(value, str) and looks_secret(value):
        return REDACTED
    return value


def clean(value: Any) -> Any:
    """One pass that converts SDK values to plain JSON types *and* redacts secrets.

    The same result as ``redact(to_jsonable(value))`` at half the cost; this runs on every
    resource of every collection, so it is worth the second function.
    """
    t = type(value)
    if t is str:
        return REDACTED if len(value) >= 8 and looks_secret(value) else value
    if t is dict:
        out = {}
        for k, v in value.items():
            if type(k) is not str:
                k = str(k)
            if v is not None and is_secret_key(k) and v not in ("", [], {}) and type(v) not in (bool, int, float):
                out[k] = REDACTED
            else:
                out[k] = clean(v)
        return out
    if t is list or t is tuple:
        return [clean(v) for v in value]
    if value is None or t is bool or t is int or t is float:
        return value
    return clean(to_jsonable(value))
