"""Graphviz DOT text for a trust graph; SVG only when the ``dot`` binary is installed."""

from __future__ import annotations

import shutil
import subprocess
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from auditor.identity.graph import TrustGraph

COLOURS = {"aws": "#ff9900", "gcp": "#4285f4", "azure": "#0078d4", "github": "#24292e", "gitlab": "#fc6d26"}


def _q(text: str) -> str:
    """A DOT double-quoted string (escape backslashes, quotes and newlines)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _label(node: str) -> str:
    kind, _, ident = node.partition("|")
    short = ident.rsplit("/", 1)[-1] if len(ident) > 48 else ident
    return f"{kind}\n{short}" if ident else node


def render_dot(graph: "TrustGraph") -> str:
    lines = ["digraph trust {", "  rankdir=LR;", '  node [shape=box, style="rounded,filled", fillcolor=white, fontsize=10];',
             "  edge [fontsize=8];"]
    nodes = sorted({n for e in graph.edges for n in (e.trusted_node, e.source_node)})
    for n in nodes:
        provider = graph.provider_of(n)
        attrs = [f"label={_q(_label(n))}", f"color={_q(COLOURS.get(provider, '#666666'))}"]
        if n in graph.admin_nodes:
            attrs += ['fillcolor="#ffdddd"', "penwidth=2"]
        lines.append(f"  {_q(n)} [{', '.join(attrs)}];")
    for e in graph.edges:
        attrs = [f"label={_q(e.mechanism + chr(10) + e.conditions_text()[:120])}"]
        if e.external:
            attrs.append('color="#cc0000"')
        if e.cross_cloud:
            attrs.append("style=bold")
        if e.details.get("issues"):
            attrs.append("penwidth=2")
        lines.append(f"  {_q(e.trusted_node)} -> {_q(e.source_node)} [{', '.join(attrs)}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def render_svg(dot_text: str) -> bytes | None:
    """SVG bytes from Graphviz, or None when ``dot`` is not installed."""
    exe = shutil.which("dot")
    if exe is None:
        return None
    done = subprocess.run([exe, "-Tsvg"], input=dot_text.encode(), capture_output=True, timeout=120, check=True)
    return done.stdout
