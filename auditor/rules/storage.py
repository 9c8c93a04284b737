"""storage rules (see auditor.rules.registry)."""
