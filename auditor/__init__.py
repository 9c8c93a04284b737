"""Multi-cloud posture inventory and drift auditor."""

__version__ = "0.1.0"
