"""The rules wing: every rule as one decorated function over facets (see registry.py)."""
