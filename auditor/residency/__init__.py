"""Data residency: every place a copy of the data lands, against allowed jurisdictions."""
