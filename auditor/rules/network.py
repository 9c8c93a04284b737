"""network rules (see auditor.rules.registry)."""
