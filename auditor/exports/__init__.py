"""Compliance exports: CSV, JSON, OCSF, SARIF and a self-contained HTML report, each
directory sealed by a SHA-256 ``manifest.json``.

Entry points: ``auditor.exports.bundle.export_snapshot`` (write an export directory) and
``auditor.exports.manifest.verify_manifest`` (check one). See README.md in this package.
"""
