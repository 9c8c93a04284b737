"""iam rules (see auditor.rules.registry)."""
