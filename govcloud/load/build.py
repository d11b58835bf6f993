"""From validated documents (raw dicts) to the frozen model.

A key left out takes the blueprint schema's `default`, read once from the schemas' table
(govcloud.schema.defaults); the policy checks fill in the same schema's defaults
(policy/defaults.py). The fallbacks written here are for keys the schema gives no default.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from govcloud.model import (
    Backup,
    Capacity,
    City,
    ClassifiedPool,
    Compute,
    Database,
    Datacentre,
    Delegation,
    Department,
    District,
    Document,
    ExemptNetwork,
    OATenant,
    Part,
    Platforms,
    Quota,
    Share,
    SiteTenant,
    System,
)
from govcloud.schema.defaults import ITEM, defaults


@dataclass(frozen=True, slots=True)
class _Defaults:
    """The schema's default of each key the builders read (a list default as a tuple)."""

    classified: bool
    public_endpoint: bool
    object_storage_gib: int
    encryption: bool
    audit_log_days: int
    consumes: tuple[Any, ...]
    shares: tuple[Any, ...]
    parts: tuple[Any, ...]
    encryption_in_transit: bool
    count: int
    disk_gib: int
    replicas: int
    offsite: bool
    exchange: str
    oa_storage_gib: int
    document_exchange: bool
    columns: tuple[Any, ...]
    ipv6: bool
    site_storage_gib: int
    systems: tuple[Any, ...]
    delegated_hosting: tuple[Any, ...]
    level: str
    mailboxes: int
    exempt_categories: tuple[Any, ...]
    exempt_networks: tuple[Any, ...]
    districts: tuple[Any, ...]


# Where each field's default is in the schemas: (kind, object path, key).
_SYSTEM = ("spec", "systems", ITEM)
DEFAULT_SOURCES: dict[str, tuple[str, tuple[str, ...], str]] = {
    "classified": ("Department", _SYSTEM, "classified"),
    "public_endpoint": ("Department", _SYSTEM, "publicEndpoint"),
    "object_storage_gib": ("Department", _SYSTEM, "objectStorageGiB"),
    "encryption": ("Department", _SYSTEM, "encryption"),
    "audit_log_days": ("Department", _SYSTEM, "auditLogDays"),
    "consumes": ("Department", _SYSTEM, "consumes"),
    "shares": ("Department", _SYSTEM, "shares"),
    "parts": ("Department", _SYSTEM, "parts"),
    "encryption_in_transit": ("Department", _SYSTEM, "encryptionInTransit"),
    "count": ("Department", (*_SYSTEM, "compute", ITEM), "count"),
    "disk_gib": ("Department", (*_SYSTEM, "compute", ITEM), "diskGiB"),
    "replicas": ("Department", (*_SYSTEM, "database"), "replicas"),
    "offsite": ("Department", (*_SYSTEM, "backup"), "offsite"),
    "exchange": ("Department", (*_SYSTEM, "parts", ITEM), "exchange"),
    "oa_storage_gib": ("Department", ("spec", "oa"), "storageGiB"),
    "document_exchange": ("Department", ("spec", "oa"), "documentExchange"),
    "columns": ("Department", ("spec", "site"), "columns"),
    "ipv6": ("Department", ("spec", "site"), "ipv6"),
    "site_storage_gib": ("Department", ("spec", "site"), "storageGiB"),
    "systems": ("Department", ("spec",), "systems"),
    "delegated_hosting": ("Department", ("spec",), "delegatedHosting"),
    "level": ("Department", ("metadata",), "level"),
    "mailboxes": ("Department", ("spec", "documentExchange"), "mailboxes"),
    "exempt_categories": ("City", ("spec",), "exemptCategories"),
    "exempt_networks": ("City", ("spec",), "exemptNetworks"),
    "districts": ("City", ("spec",), "districts"),
}


@cache
def _defaults() -> _Defaults:
    """Read from the schemas once, on first use (a warm check from the cache never needs them)."""
    values: dict[str, Any] = {}
    for field, (kind, path, key) in DEFAULT_SOURCES.items():
        value = defaults(kind)[path][key]
        values[field] = tuple(value) if isinstance(value, list) else value
    return _Defaults(**values)


def build_system(raw: dict[str, Any], path: tuple[str | int, ...], d: _Defaults | None = None) -> System:
    d = d or _defaults()
    db = raw.get("database")
    backup = raw.get("backup") or {}
    return System(
        name=raw["name"],
        title=raw.get("title", raw["name"]),
        function=raw["function"],
        network=raw["network"],
        mlps=raw["mlps"],
        classified=raw.get("classified", d.classified),
        public_endpoint=raw.get("publicEndpoint", d.public_endpoint),
        compute=tuple(
            Compute(c["role"], c.get("count", d.count), c["vcpu"], c["memoryGiB"], c["image"],
                    c.get("diskGiB", d.disk_gib))
            for c in raw.get("compute", [])
        ),
        database=Database(db["engine"], db["storageGiB"], db.get("replicas", d.replicas)) if db else None,
        object_storage_gib=raw.get("objectStorageGiB", d.object_storage_gib),
        encryption=raw.get("encryption", d.encryption),
        backup=Backup(backup.get("offsite", d.offsite)),
        audit_log_days=raw.get("auditLogDays", d.audit_log_days),
        base_database=raw.get("baseDatabase"),
        consumes=tuple(raw.get("consumes", d.consumes)),
        shares=tuple(Share(s["dataset"], tuple(s["to"])) for s in raw.get("shares", d.shares)),
        path=path,
        dedicated_network=raw.get("dedicatedNetwork"),
        encryption_in_transit=raw.get("encryptionInTransit", d.encryption_in_transit),
        parts=tuple(Part(p["name"], p["network"], p.get("stage"), p.get("exchange", d.exchange))
                    for p in raw.get("parts", d.parts)),
        retire=raw.get("retire"),
        project=raw.get("project"),
        secrecy=raw.get("secrecy"),
    )


def build_department(doc: Document) -> Department:
    d = _defaults()
    meta, spec = doc.data["metadata"], doc.data.get("spec") or {}
    quota, oa, site = spec.get("quota"), spec.get("oa"), spec.get("site")
    return Department(
        code=meta["code"],
        name=meta["name"],
        category=meta["category"],
        project=meta.get("project"),
        headcount=meta["headcount"],
        quota=Quota(quota["vcpu"], quota["memoryGiB"], quota["storageTiB"]) if quota else None,
        oa=OATenant(oa["seats"], oa.get("storageGiB", d.oa_storage_gib),
                    oa.get("documentExchange", d.document_exchange)) if oa else None,
        site=SiteTenant(site["host"], tuple(site.get("columns", d.columns)), site.get("ipv6", d.ipv6),
                        site.get("storageGiB", d.site_storage_gib)) if site else None,
        systems=tuple(build_system(s, ("spec", "systems", i), d)
                      for i, s in enumerate(spec.get("systems", d.systems))),
        doc=doc,
        level=meta.get("level", d.level),
        district=meta.get("district"),
        delegated_hosting=tuple(Delegation(x["baseDatabase"], x["host"])
                                for x in spec.get("delegatedHosting", d.delegated_hosting)),
        exchange_mailboxes=((spec["documentExchange"] or {}).get("mailboxes", d.mailboxes)
                            if "documentExchange" in spec else 0),
        former_code=meta.get("formerCode"),
        requested_quota=Quota(quota["vcpu"], quota["memoryGiB"], quota["storageTiB"]) if quota else None,
    )


def _classified_pool(raw: dict[str, Any] | None) -> ClassifiedPool | None:
    if not raw:
        return None
    return ClassifiedPool(raw["region"], raw["drRegion"], raw.get("description", ""))


def build_city(doc: Document) -> City:
    meta, spec = doc.data["metadata"], doc.data["spec"]
    d = _defaults()
    dc, platforms = spec["datacentre"], spec.get("platforms") or {}
    cap = dc["capacity"]
    oa, site = platforms.get("oa") or {}, platforms.get("site") or {}
    return City(
        name=meta["name"],
        title=meta["title"],
        domain=spec["domain"],
        networks={k: v["cidr"] for k, v in spec["networks"].items()},
        exempt_categories=tuple(spec.get("exemptCategories", d.exempt_categories)),
        project_pattern=spec.get("projectPattern"),
        datacentre=Datacentre(dc["region"], dc["drRegion"], dc["mlps"],
                              Capacity(cap["vcpu"], cap["memoryGiB"], cap["storageTiB"]),
                              _classified_pool(dc.get("classifiedPool"))),
        platforms=Platforms(oa.get("seats", 0), oa.get("storageTiB", 0), site.get("maxSites", 0)),
        prices={k: v for k, v in (spec.get("prices") or {}).items() if k != "funding"},
        doc=doc,
        exempt_networks=tuple(
            ExemptNetwork(n["id"], n["name"], n["basis"], n.get("sunset"), tuple(n.get("departments", [])))
            for n in spec.get("exemptNetworks", d.exempt_networks)),
        districts=tuple(District(x["code"], x["name"]) for x in spec.get("districts", d.districts)),
        funding_of=dict((spec.get("prices") or {}).get("funding") or {}),
    )
