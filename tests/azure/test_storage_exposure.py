"""Account-level public exposure from allowBlobPublicAccess and the containers together (issue 13 #8)."""

from __future__ import annotations

import json

from auditor.rules.storage import storage_public
from collectors.azure.normalise import account_exposure, storage_account_facets


def _facets(r):  # type: ignore[no-untyped-def]
    return json.loads(r.facets) if isinstance(r.facets, str) else r.facets


class _Res:
    category = "storage"

    def __init__(self, facets):  # type: ignore[no-untyped-def]
        self.facets = facets


def test_public_container_on_an_account_that_allows_it_is_fail(e2e) -> None:
    acc = {r.name: r for r in e2e.sink.by_type("azure.storage.account")}
    public = _facets(acc["stprodpublic01"])  # allowBlobPublicAccess true, two public containers
    assert public["public"] is True
    assert public["public_reasons"] == ["allowBlobPublicAccess=true", "container blob-downloads:publicAccess=Blob",
                                        "container public-assets:publicAccess=Container"]
    assert storage_public(_Res(public), None).status == "FAIL"
    assert _facets(acc["stdevgrs01"])["public"] is False  # allows it, but has no container: not public
    assert _facets(acc["stprodgrs01"])["public"] is False  # blob public access off


def _acct(allow):  # type: ignore[no-untyped-def]
    props = {} if allow is None else {"allowBlobPublicAccess": allow}
    return {"id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/a",
            "name": "a", "location": "westeurope", "properties": props}


def _container(level):  # type: ignore[no-untyped-def]
    return {"name": f"c-{level}", "properties": {"publicAccess": level}}


def test_exposure_table() -> None:
    def public(allow, containers):  # type: ignore[no-untyped-def]
        doc = _acct(allow)
        return account_exposure(storage_account_facets(doc), doc, containers)["public"]

    assert public(True, [_container("Blob")]) is True
    assert public(True, [_container("None")]) is False
    assert public(True, None) is None  # containers not listed (denied): unknown, never PASS
    assert public(False, [_container("Container")]) is False
    assert public(None, [_container("Container")]) is None  # account setting not reported
