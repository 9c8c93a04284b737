"""Secret redaction applied at collection time: no secret-looking value is ever stored.

Two nets: keys whose *name* says they hold a secret (password, user data, connection
string, ...) have their value replaced; any string whose *shape* is a known credential
(AWS secret keys, PEM private keys, JWTs, storage connection strings, ...) is replaced
wherever it appears.
"""

from __future__ import annotations

import re
from typing import Any

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

_VALUE_PATTERNS: tuple[re.Pattern[str], ...] = tuple(
    re.compile(p)
    for p in (
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
)


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
    return any(p.search(value) for p in _VALUE_PATTERNS) or _aws_secret_like(value)


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
