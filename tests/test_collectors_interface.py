"""Every collector package keeps the interface `auditor collect` relies on, even after its
submodules are imported (a submodule named like a function would shadow it)."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

from auditor.collect import PROVIDERS


@pytest.mark.parametrize("provider", PROVIDERS)
def test_collector_interface_survives_submodule_imports(provider):
    pkg = importlib.import_module(f"collectors.{provider}")
    for info in pkgutil.iter_modules(pkg.__path__):
        importlib.import_module(f"collectors.{provider}.{info.name}")
    for name in ("plan", "classify", "permissions"):
        assert inspect.isfunction(getattr(pkg, name)), f"collectors.{provider}.{name} is not a function"
    assert pkg.SPECS and all(s.provider == provider for s in pkg.SPECS)
    assert isinstance(pkg.permissions(), dict)
