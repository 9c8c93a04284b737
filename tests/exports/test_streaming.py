"""Exports stream the inventory: the JSON writer matches the in-memory serialiser byte for
byte, and an export from the streaming source equals one from a list of the same data."""

from __future__ import annotations

import pytest

from auditor.exports.files import dumps, write_json_items

HEAD = {"schema": "auditor-export/1", "kind": "inventory", "snapshot": {"id": 3, "note": None}, "count": 2}


@pytest.mark.parametrize("items", [
    [],
    [{"b": 1, "a": [1, {"z": "x", "y": []}]}],
    [{"k": "v"}, {"k": "w", "nested": {"deep": {"deeper": [1, 2]}}}, "plain", 7, None],
])
def test_streamed_json_is_byte_identical(tmp_path, items):
    write_json_items(tmp_path, "s.json", HEAD, iter(items))
    assert (tmp_path / "s.json").read_bytes() == dumps({**HEAD, "items": items})


def test_export_from_the_database_stream_equals_export_from_a_list(tmp_path, seeded):
    from dataclasses import replace

    from auditor.exports.bundle import write_export
    from auditor.exports.gather import ResourceSource, gather

    data = gather(seeded.engine, seeded.snapshot_id)
    assert isinstance(data.resources, ResourceSource) and len(data.resources) == len(list(data.resources)) > 0
    a = write_export(data, tmp_path / "stream", ["json", "csv", "html"])
    b = write_export(replace(data, resources=list(data.resources)), tmp_path / "list", ["json", "csv", "html"])
    for name in a.files:
        assert (a.out_dir / name).read_bytes() == (b.out_dir / name).read_bytes(), name
