"""A document's value and key marks share one packed table; both halves read as plain mappings."""
from __future__ import annotations

from govcloud.load import parse
from govcloud.load.marks import Marks, packed_table, views

TEXT = """apiVersion: govcloud/v1
kind: Department
metadata: {code: slj, name: 市水利局}
spec:
  systems:
    - name: river-monitoring
      mlps: 2
"""


def test_values_and_keys_read_like_the_dicts_they_replace() -> None:
    (doc,) = parse(TEXT, "slj.yaml").documents
    assert isinstance(doc.values, Marks) and isinstance(doc.keys, Marks)
    assert doc.values[("spec", "systems", 0, "mlps")] == (7, 13)
    assert doc.keys[("spec", "systems", 0, "mlps")] == (7, 7)
    assert doc.values[("spec", "systems", 0)] == (6, 7)
    assert ("spec", "systems", 0) not in doc.keys  # a list item has no key; the document neither
    assert () in doc.values and () not in doc.keys
    assert dict(doc.keys.items())[("metadata", "name")] == (3, 23)
    assert len(doc.keys) == len(list(doc.keys)) == len(doc.values) - 2
    assert str(doc.location_of(("spec", "systems", 0, "name"), key=True)) == "slj.yaml:6:7"
    assert str(doc.location_of(("spec", "systems", 5, "mlps"))) == "slj.yaml:6:5"  # the nearest that exists: the list


def test_plain_dicts_pack_into_the_same_table() -> None:
    (doc,) = parse(TEXT, "slj.yaml").documents
    table = packed_table(dict(doc.values.items()), dict(doc.keys.items()))
    values, keys = views(table)
    assert dict(values.items()) == dict(doc.values.items()) and dict(keys.items()) == dict(doc.keys.items())
