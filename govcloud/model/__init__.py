"""Frozen dataclasses passed between govcloud's stages."""
from govcloud.model.blueprint import (
    CATEGORIES,
    DEFAULT_PRICES,
    NETWORKS,
    Backup,
    Capacity,
    City,
    Compute,
    Database,
    Datacentre,
    Department,
    OATenant,
    Platforms,
    Project,
    Quota,
    Share,
    SiteTenant,
    System,
)
from govcloud.model.document import Document, Path
from govcloud.model.finding import Finding, Severity
from govcloud.model.location import Location

__all__ = [
    "CATEGORIES", "DEFAULT_PRICES", "NETWORKS", "Backup", "Capacity", "City", "Compute",
    "Database", "Datacentre", "Department", "Document", "Finding", "Location", "OATenant",
    "Path", "Platforms", "Project", "Quota", "Share", "SiteTenant", "System", "Severity",
]
