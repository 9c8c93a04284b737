"""compute rules (see auditor.rules.registry)."""
