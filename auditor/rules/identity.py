"""identity rules (see auditor.rules.registry)."""
