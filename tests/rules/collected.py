"""What each cloud's collectors can fill: (type|category) scopes from the specs, facet names from the source.

A facet counts as filled by a cloud when its collector source assigns it something other than
a literal ``None`` (``"min_tls": None`` on S3 means "never collected").
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import collectors

_ASSIGN = re.compile(r'["\'](?P<name>[a-z_]+)["\']\s*:\s*(?P<value>[^,\n}]+)|facets\[["\'](?P<item>[a-z_]+)["\']\]\s*=')


def _specs(provider: str):  # type: ignore[no-untyped-def]
    if provider == "aws":
        from collectors.aws.specs import SPECS
    elif provider == "gcp":
        from collectors.gcp.specs import SPECS
    else:
        from collectors.azure.specs import SPECS, TENANT_SPECS

        return SPECS + TENANT_SPECS  # directory (Graph) settings are collected per tenant
    return SPECS


@cache
def collected_facets(provider: str) -> dict[str, set[str]]:
    """{"<type>|<category>": facet names the cloud's collectors fill (any type of that cloud)}."""
    names: set[str] = set()
    for path in (Path(collectors.__file__).parent / provider).rglob("*.py"):
        for m in _ASSIGN.finditer(path.read_text(encoding="utf-8")):
            if m.group("item"):
                names.add(m.group("item"))
            elif m.group("value").strip() != "None":
                names.add(m.group("name"))
    return {f"{s.type}|{s.category}": names for s in _specs(provider)}
