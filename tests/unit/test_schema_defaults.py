"""The blueprint schemas' `default`s are the defaults: each is what the model holds for a
key left out, and the model has no default of its own for a key the schema defaults."""
from __future__ import annotations

from typing import Any

from govcloud.load.build import DEFAULT_SOURCES, build_city, build_department
from govcloud.model import DEFAULT_FUNDING, DEFAULT_PRICES, Document
from govcloud.schema.defaults import ITEM, defaults

# Read by the model's price book, not by the loader (City.price, City.funding).
PRICE_BOOK = {("City", ("spec", "prices")), ("City", ("spec", "prices", "funding"))}


def doc(data: dict[str, Any]) -> Document:
    return Document("x.yaml", 0, data, {}, {})


DEPARTMENT = doc({"metadata": {"code": "gaj", "name": "市公安局", "category": "general", "headcount": 1},
                  "spec": {"oa": {"seats": 1}, "site": {"host": "gaj.foshan.gov.cn"}, "documentExchange": {},
                           "systems": [{"name": "s", "function": "f", "network": "extranet", "mlps": 2,
                                        "compute": [{"role": "app", "vcpu": 1, "memoryGiB": 1, "image": "i"}],
                                        "database": {"engine": "dm8", "storageGiB": 1}, "backup": {},
                                        "parts": [{"name": "p", "network": "intranet"}]}]}})
EMPTY_DEPARTMENT = doc({"metadata": DEPARTMENT.data["metadata"]})
CITY = doc({"metadata": {"name": "foshan", "title": "佛山市"},
            "spec": {"domain": "foshan.gov.cn", "networks": {},
                     "datacentre": {"region": "a", "drRegion": "b", "mlps": 3,
                                    "capacity": {"vcpu": 1, "memoryGiB": 1, "storageTiB": 1}}}})


def model_values() -> dict[str, Any]:
    dept, city = build_department(DEPARTMENT), build_city(CITY)
    system = dept.systems[0]
    assert dept.oa and dept.site and system.database
    return {
        "classified": system.classified, "public_endpoint": system.public_endpoint,
        "object_storage_gib": system.object_storage_gib, "encryption": system.encryption,
        "audit_log_days": system.audit_log_days, "consumes": system.consumes, "shares": system.shares,
        "parts": build_department(doc({**DEPARTMENT.data, "spec": {"systems": [
            {k: v for k, v in DEPARTMENT.data["spec"]["systems"][0].items() if k != "parts"}]}})).systems[0].parts,
        "encryption_in_transit": system.encryption_in_transit,
        "count": system.compute[0].count, "disk_gib": system.compute[0].disk_gib,
        "replicas": system.database.replicas, "offsite": system.backup.offsite,
        "exchange": system.parts[0].exchange,
        "oa_storage_gib": dept.oa.storage_gib, "document_exchange": dept.oa.document_exchange,
        "columns": dept.site.columns, "ipv6": dept.site.ipv6, "site_storage_gib": dept.site.storage_gib,
        "systems": build_department(EMPTY_DEPARTMENT).systems,
        "delegated_hosting": dept.delegated_hosting, "level": dept.level, "mailboxes": dept.exchange_mailboxes,
        "exempt_categories": city.exempt_categories, "exempt_networks": city.exempt_networks,
        "districts": city.districts,
    }


def test_every_default_the_loader_reads_is_the_schemas_and_the_model_holds_it() -> None:
    values = model_values()
    assert set(values) == set(DEFAULT_SOURCES)
    for name, (kind, path, key) in DEFAULT_SOURCES.items():
        expected = defaults(kind)[path][key]
        assert values[name] == (tuple(expected) if isinstance(expected, list) else expected), name


def test_every_default_of_the_schemas_is_one_the_model_uses() -> None:
    read = {(kind, path, key) for kind, path, key in DEFAULT_SOURCES.values()}
    for kind in ("City", "Department"):
        for path, keys in defaults(kind).items():
            for key, value in keys.items():
                if (kind, path) in PRICE_BOOK:
                    book = DEFAULT_FUNDING if path[-1] == "funding" else DEFAULT_PRICES
                    assert book[key] == value, (kind, path, key)
                else:
                    assert (kind, path, key) in read, f"{kind} {'.'.join(path)}.{key}: default not read by the loader"


def test_the_table_knows_a_systems_audit_log_default() -> None:
    assert defaults("Department")[("spec", "systems", ITEM)]["auditLogDays"] == 180
