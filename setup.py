"""Package layout that pyproject.toml cannot express: the top-level ``migrations/`` folder is
installed as ``auditor._migrations`` so no top-level ``migrations`` package lands in site-packages."""

from setuptools import find_packages, setup

setup(
    packages=find_packages(include=["auditor", "auditor.*", "collectors", "collectors.*"])
    + ["auditor._migrations", "auditor._migrations.versions"],
    package_dir={"auditor._migrations": "migrations"},
)
