"""The identity trust graph as an inline SVG laid out here (no JS library, no fetch).

Two columns: on the left the trusted principals (who can act: accounts, OIDC/SAML
issuers, service accounts, tenants), on the right the trusting identities in the estate
(roles, service accounts, managed identities). Inside each column nodes are grouped by
cloud. Edges point from principal to identity; cross-cloud edges are red, edges to a
principal outside the declared estate are dashed orange. Every label is escaped.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from typing import Any

PROVIDER_ORDER = ("aws", "gcp", "azure")
PROVIDER_COLOURS = {"aws": "#d97706", "gcp": "#2563eb", "azure": "#0891b2"}
OTHER_COLOUR = "#6b7280"

ROW = 26
GROUP_GAP = 30
TOP = 40
NODE_W = 360
NODE_H = 20
LEFT_X = 10
RIGHT_X = 640
WIDTH = RIGHT_X + NODE_W + 10
LABEL_CHARS = 46  # fits NODE_W at 12px monospace


@dataclass
class Node:
    key: str
    label: str
    provider: str
    kind: str
    x: int = 0
    y: int = 0
    group_header: int | None = None  # y of the provider heading drawn above this node


def _provider_rank(p: str) -> int:
    return PROVIDER_ORDER.index(p) if p in PROVIDER_ORDER else len(PROVIDER_ORDER)


def short_label(text: str, limit: int = LABEL_CHARS) -> str:
    """The readable tail of a key: native id after ``type|``, middle-elided to ``limit``."""
    text = text.split("|", 1)[1] if "|" in text else text
    if len(text) <= limit:
        return text
    keep = limit - 1
    return text[: keep // 3] + "\u2026" + text[-(keep - keep // 3):]


def _layout(nodes: dict[str, Node], x: int) -> int:
    """Place one column: groups by provider, sorted labels; returns the column height."""
    y = TOP
    ordered = sorted(nodes.values(), key=lambda n: (_provider_rank(n.provider), n.provider, n.label, n.key))
    current = None
    for n in ordered:
        if n.provider != current:
            if current is not None:
                y += GROUP_GAP - ROW + NODE_H
            current = n.provider
            n.group_header = y
            y += 18
        n.x, n.y = x, y
        y += ROW
    return y


def _group_headers(nodes: dict[str, Node]) -> list[str]:
    out = []
    for n in nodes.values():
        if n.group_header is not None:
            out.append(f'<text class="tg-group" x="{n.x}" y="{n.group_header + 12}">{escape(n.provider.upper())}</text>')
    return out


def _node_svg(n: Node, side: str) -> str:
    colour = PROVIDER_COLOURS.get(n.provider, OTHER_COLOUR)
    return (
        f'<g class="tg-node tg-{side}" data-key="{escape(n.key)}">'
        f'<title>{escape(n.kind)}: {escape(n.key)}</title>'
        f'<rect x="{n.x}" y="{n.y}" width="{NODE_W}" height="{NODE_H}" rx="4" fill="#fff" stroke="{colour}" stroke-width="1.5"/>'
        f'<rect x="{n.x}" y="{n.y}" width="6" height="{NODE_H}" rx="2" fill="{colour}"/>'
        f'<text x="{n.x + 12}" y="{n.y + 14}">{escape(n.label)}</text></g>'
    )


def trust_graph_svg(edges: list[dict[str, Any]]) -> str:
    """An ``<svg>`` element for the edges (already sorted); a short note when there are none."""
    if not edges:
        return '<p class="empty">No trust edges were recorded for this snapshot.</p>'
    left: dict[str, Node] = {}
    right: dict[str, Node] = {}
    for e in edges:
        tkey = f"{e['trusted_provider']}|{e['trusted_kind']}|{e['trusted_id']}"
        if tkey not in left:
            provider = e["trusted_provider"] if e["trusted_provider"] in PROVIDER_ORDER else "external"
            left[tkey] = Node(tkey, short_label(f"{e['trusted_kind']}: {e['trusted_id']}"), provider, e["trusted_kind"])
        if e["source_key"] not in right:
            right[e["source_key"]] = Node(e["source_key"], short_label(e["source_key"]), e["source_provider"],
                                          e["source_key"].split("|", 1)[0])
    height = max(_layout(left, LEFT_X), _layout(right, RIGHT_X)) + 10
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="trust-graph" role="img" '
        f'aria-label="Identity trust graph: {len(edges)} edges" viewBox="0 0 {WIDTH} {height}" '
        f'width="{WIDTH}" height="{height}">',
        '<defs><marker id="tg-arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" '
        'orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#374151"/></marker></defs>',
        f'<text class="tg-col" x="{LEFT_X}" y="18">Trusted principals (can act)</text>',
        f'<text class="tg-col" x="{RIGHT_X}" y="18">Trusting identities in the estate</text>',
    ]
    for e in edges:
        a = left[f"{e['trusted_provider']}|{e['trusted_kind']}|{e['trusted_id']}"]
        b = right[e["source_key"]]
        x1, y1, x2, y2 = a.x + NODE_W, a.y + NODE_H / 2, b.x, b.y + NODE_H / 2
        mid = (x1 + x2) / 2
        cls = "tg-edge" + (" tg-cross" if e["cross_cloud"] else "") + (" tg-external" if e["external"] else "")
        cond = "; ".join(f"{k}={v}" for k, v in sorted((e.get("conditions") or {}).items(), key=lambda kv: str(kv[0])))
        parts.append(
            f'<path class="{cls}" d="M {x1} {y1} C {mid} {y1}, {mid} {y2}, {x2} {y2}" marker-end="url(#tg-arrow)">'
            f'<title>{escape(e["mechanism"])}: {escape(a.key)} \u2192 {escape(b.key)}'
            f'{escape(" [" + cond + "]") if cond else " [no conditions]"}</title></path>'
        )
    parts.extend(_group_headers(left))
    parts.extend(_group_headers(right))
    parts.extend(_node_svg(n, "trusted") for n in left.values())
    parts.extend(_node_svg(n, "source") for n in right.values())
    parts.append("</svg>")
    return "".join(parts)
