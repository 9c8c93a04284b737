"""residency rules (see auditor.rules.registry)."""
