"""From validated documents (raw dicts) to the frozen model."""
from __future__ import annotations

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


def build_system(raw: dict[str, Any], path: tuple[str | int, ...]) -> System:
    db = raw.get("database")
    backup = raw.get("backup") or {}
    return System(
        name=raw["name"],
        title=raw.get("title", raw["name"]),
        function=raw["function"],
        network=raw["network"],
        mlps=raw["mlps"],
        classified=raw.get("classified", False),
        public_endpoint=raw.get("publicEndpoint", False),
        compute=tuple(
            Compute(c["role"], c.get("count", 1), c["vcpu"], c["memoryGiB"], c["image"], c.get("diskGiB", 40))
            for c in raw.get("compute", [])
        ),
        database=Database(db["engine"], db["storageGiB"], db.get("replicas", 1)) if db else None,
        object_storage_gib=raw.get("objectStorageGiB", 0),
        encryption=raw.get("encryption", False),
        backup=Backup(backup.get("offsite", False), backup.get("rpoMinutes")),
        audit_log_days=raw.get("auditLogDays", 180),
        base_database=raw.get("baseDatabase"),
        consumes=tuple(raw.get("consumes", [])),
        shares=tuple(Share(s["dataset"], tuple(s["to"])) for s in raw.get("shares", [])),
        path=path,
        dedicated_network=raw.get("dedicatedNetwork"),
        encryption_in_transit=raw.get("encryptionInTransit", False),
        cryptography=raw.get("cryptography"),
        parts=tuple(Part(p["name"], p["network"], p.get("stage"), p.get("exchange", "data-sharing"))
                    for p in raw.get("parts", [])),
        retire=raw.get("retire"),
        project=raw.get("project"),
        secrecy=raw.get("secrecy"),
    )


def build_department(doc: Document) -> Department:
    meta, spec = doc.data["metadata"], doc.data.get("spec") or {}
    quota, oa, site = spec.get("quota"), spec.get("oa"), spec.get("site")
    return Department(
        code=meta["code"],
        name=meta["name"],
        category=meta["category"],
        project=meta.get("project"),
        headcount=meta["headcount"],
        quota=Quota(quota["vcpu"], quota["memoryGiB"], quota["storageTiB"]) if quota else None,
        oa=OATenant(oa["seats"], oa.get("storageGiB", 0), oa.get("documentExchange", False)) if oa else None,
        site=SiteTenant(site["host"], tuple(site.get("columns", [])), site.get("ipv6", False),
                        site.get("storageGiB", 0)) if site else None,
        systems=tuple(build_system(s, ("spec", "systems", i)) for i, s in enumerate(spec.get("systems", []))),
        doc=doc,
        body=meta.get("body"),
        level=meta.get("level", "city"),
        district=meta.get("district"),
        delegated_hosting=tuple(Delegation(x["baseDatabase"], x["host"]) for x in spec.get("delegatedHosting", [])),
        exchange_mailboxes=(spec["documentExchange"] or {}).get("mailboxes", 1) if "documentExchange" in spec else 0,
        former_code=meta.get("formerCode"),
        requested_quota=Quota(quota["vcpu"], quota["memoryGiB"], quota["storageTiB"]) if quota else None,
    )


def _classified_pool(raw: dict[str, Any] | None) -> ClassifiedPool | None:
    if not raw:
        return None
    return ClassifiedPool(raw["region"], raw["drRegion"], raw.get("description", ""))


def build_city(doc: Document) -> City:
    meta, spec = doc.data["metadata"], doc.data["spec"]
    dc, platforms = spec["datacentre"], spec.get("platforms") or {}
    cap = dc["capacity"]
    oa, site = platforms.get("oa") or {}, platforms.get("site") or {}
    return City(
        name=meta["name"],
        title=meta["title"],
        domain=spec["domain"],
        networks={k: v["cidr"] for k, v in spec["networks"].items()},
        exempt_categories=tuple(spec.get("exemptCategories", [])),
        project_pattern=spec.get("projectPattern"),
        datacentre=Datacentre(dc["region"], dc["drRegion"], dc["mlps"],
                              Capacity(cap["vcpu"], cap["memoryGiB"], cap["storageTiB"]),
                              _classified_pool(dc.get("classifiedPool"))),
        platforms=Platforms(oa.get("seats", 0), oa.get("storageTiB", 0), site.get("maxSites", 0)),
        prices={k: v for k, v in (spec.get("prices") or {}).items() if k != "funding"},
        doc=doc,
        exempt_networks=tuple(
            ExemptNetwork(n["id"], n["name"], n["basis"], n.get("sunset"), tuple(n.get("departments", [])))
            for n in spec.get("exemptNetworks", [])),
        districts=tuple(District(x["code"], x["name"]) for x in spec.get("districts", [])),
        funding_of=dict((spec.get("prices") or {}).get("funding") or {}),
    )
