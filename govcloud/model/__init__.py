"""Frozen dataclasses passed between govcloud's stages."""
from govcloud.model.blueprint import (
    BODIES,
    CATEGORIES,
    DEFAULT_FUNDING,
    DEFAULT_PRICES,
    LEVELS,
    NETWORKS,
    Backup,
    Capacity,
    City,
    Compute,
    Database,
    Datacentre,
    Delegation,
    Department,
    District,
    ExemptNetwork,
    OATenant,
    Part,
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
from govcloud.model.registers import (
    APPROVED_DIR, REGISTER_KINDS, REGISTERS_DIR, REQUESTS_DIR, Approval, Grant, MlpsRecord, ProjectRecord, Registers,
)

__all__ = [
    "APPROVED_DIR", "REGISTER_KINDS", "REGISTERS_DIR", "REQUESTS_DIR", "Approval", "Grant", "MlpsRecord",
    "ProjectRecord", "Registers",
    "BODIES", "DEFAULT_FUNDING", "Delegation", "District", "ExemptNetwork", "LEVELS", "Part",
    "CATEGORIES", "DEFAULT_PRICES", "NETWORKS", "Backup", "Capacity", "City", "Compute",
    "Database", "Datacentre", "Department", "Document", "Finding", "Location", "OATenant",
    "Path", "Platforms", "Project", "Quota", "Share", "SiteTenant", "System", "Severity",
]
