"""What JSON Schema cannot say about a blueprint, checked before anything is planned.

Each check points at the field to change: a network's CIDR with host bits set, two
networks that overlap, a pattern that could hang `check`, a name the real cloud would
refuse (the sandbox accepts far more), a department code that is reserved or differs
from its file's name.
"""
from __future__ import annotations

import ipaddress
import os

from govcloud.model import City, Department, Finding, Location, Path, Severity
from govcloud.schema import PatternError, check_safe, cloudnames

RULE = "GC-SCHEMA"
RESERVED_CODE = "city"  # the city's own cloud names use it (graph/names.py)
# A department's zone is 1/256 of a network and its systems' subnets 1/16 of that, each
# at most /28: so the extranet and intranet need /16 or larger, the internet zone /24.
LARGEST_PREFIX = {"extranet": 16, "intranet": 16, "internetZone": 24}
DEPARTMENT_FOLDERS = ("departments", "requests")  # where a file is named after its department
# Stand-ins for the stack's prefix in a name built from one field: the field's own part of
# the name is what can break the cloud's rules; `fit` keeps the length within bounds.
_PREFIX = "p-s"


def _fitted(name: str, limit: int) -> str:
    """The shape of graph/names.py's `fit`: a long name keeps its head and ends in a hash."""
    return name if len(name) <= limit else name[: limit - 9].rstrip("-.") + "-0123abcd"


def _error(message: str, location: Location, hint: str = "", department: str | None = None,
           system: str | None = None) -> Finding:
    return Finding(RULE, Severity.ERROR, message, location, department=department, system=system, hint=hint)


def _networks(city: City) -> list[Finding]:
    out: list[Finding] = []
    if "internetZone" not in city.networks:  # the site platform's front end lives there
        out.append(_error("missing required key 'internetZone' in spec.networks",
                          city.location_of(("spec", "networks")),
                          "the site platform's front end needs the Internet access zone, e.g. "
                          "internetZone: {cidr: 10.96.0.0/16}"))
    parsed: list[tuple[str, ipaddress.IPv4Network]] = []
    for name in ("extranet", "intranet", "internetZone"):
        cidr = city.networks.get(name)
        if cidr is None:
            continue
        where = city.location_of(("spec", "networks", name, "cidr"))
        try:
            network = ipaddress.IPv4Network(cidr)
        except ValueError:
            loose = ipaddress.IPv4Network(cidr, strict=False)
            out.append(_error(f"spec.networks.{name}.cidr {cidr} has host bits set", where,
                              f"did you mean {loose}?"))
            continue
        if network.prefixlen > LARGEST_PREFIX[name]:
            out.append(_error(
                f"spec.networks.{name}.cidr {cidr} is too small: a /{network.prefixlen}", where,
                f"the {name} needs a /{LARGEST_PREFIX[name]} or larger"))
            continue
        for other, earlier in parsed:
            if network.overlaps(earlier):
                out.append(_error(f"spec.networks.{name}.cidr {cidr} overlaps the {other} ({earlier})", where,
                                  "the networks are separate: give each its own address range"))
                break
        parsed.append((name, network))
    return out


def check_city(city: City) -> list[Finding]:
    """The city's own problems, each at its field."""
    out = _networks(city)
    if city.project_pattern is not None:
        try:
            check_safe(city.project_pattern)
        except PatternError as exc:
            out.append(_error(f"spec.projectPattern is not a usable regular expression: {exc}",
                              city.location_of(("spec", "projectPattern")),
                              r"write a plain pattern such as ^FS-[0-9]{4}-IT-[0-9]{4}$"))
    names: list[tuple[Path, str, str, str]] = [
        (("spec", "domain"), "certificate-name", f"www.{city.domain}", "the portal's certificate name"),
        (("metadata", "name"), "bucket", f"{city.name}-s-{RESERVED_CODE}-oa-documents", "the city's bucket names"),
        (("metadata", "name"), "security-group-name", f"{city.name}-s/{RESERVED_CODE}/site/security-group",
         "the security group names"),
        (("metadata", "name"), "elb-name", _fitted(f"{city.name}-s-{RESERVED_CODE}-site", cloudnames.ELB_NAME_MAX),
         "the site platform's load balancer name"),
        (("metadata", "title"), "certificate-subject", f"{city.title}政务CA", "the city CA's common name"),
        (("metadata", "title"), "zone-comment", f"{city.title} government sites", "the hosted zone's comment"),
    ]
    for path, kind, name, what in names:
        reason = cloudnames.problem(kind, name)
        if reason is not None:
            out.append(_error(f"{'.'.join(map(str, path))} makes {what} {name!r}, which {reason}",
                              city.location_of(path), "shorten or rename it"))
            break  # one line per failure: a bad field usually breaks several names
    return out


def _file_name(dept: Department, documents_in_file: int) -> Finding | None:
    folder = os.path.basename(os.path.dirname(os.path.abspath(dept.file)))
    stem = os.path.splitext(os.path.basename(dept.file))[0]
    if folder not in DEPARTMENT_FOLDERS or documents_in_file != 1 or stem == dept.code:
        return None
    return _error(f"department '{dept.code}' is in {os.path.basename(dept.file)}; its file must be named "
                  f"{dept.code}{os.path.splitext(dept.file)[1]}", dept.location_of(("metadata", "code")),
                  f"rename the file, or set metadata.code to '{stem}'", department=dept.code)


def check_department(dept: Department, documents_in_file: int = 1,
                     own: tuple[list[Finding], list[Finding]] | None = None) -> list[Finding]:
    """One department's problems, each at its field (its file holds `documents_in_file` documents);
    `own` is `own_problems(dept)` when already known (kept with the file's cache entry)."""
    before, after = own if own is not None else own_problems(dept)
    named = _file_name(dept, documents_in_file)  # the folder is the path's as resolved now, never kept
    return [*before, named, *after] if named is not None else [*before, *after]


def own_problems(dept: Department) -> tuple[list[Finding], list[Finding]]:
    """The problems that depend on the department's document alone, in `check_department`'s order:
    (those before its file-name check, those after it)."""
    out: list[Finding] = []
    code_at = dept.location_of(("metadata", "code"))
    if dept.code == RESERVED_CODE:
        out.append(_error(f"department code '{RESERVED_CODE}' is reserved for the city's own resources",
                          code_at, "choose the department's pinyin initials", department=dept.code))
    if getattr(dept, "former_code", None) == RESERVED_CODE:  # its resources would be named as the city's
        out.append(_error(f"formerCode '{RESERVED_CODE}' is reserved for the city's own resources",
                          dept.location_of(("metadata", "formerCode")), department=dept.code))
    if dept.project is not None and (reason := cloudnames.problem("tag-value", dept.project)) is not None:
        out.append(_error(f"metadata.project {dept.project!r} {reason} (it becomes the gov:project tag)",
                          dept.location_of(("metadata", "project")), "write the number as approved, e.g. "
                          "FS-2026-IT-0012", department=dept.code))
    after: list[Finding] = []
    if dept.site is not None:
        reason = cloudnames.problem("certificate-name", dept.site.host)
        if reason is not None:
            after.append(_error(f"spec.site.host {dept.site.host!r} {reason}",
                                dept.location_of(("spec", "site", "host")), "use a shorter host name",
                                department=dept.code))
    seen: dict[str, int] = {}
    for system in dept.systems:
        at = dept.location_of(system.path + ("name",))
        if system.name in seen:
            after.append(_error(
                f"duplicate system name '{system.name}' in department '{dept.code}' "
                f"(first at line {seen[system.name]})",
                at, "system names are unique within a department", department=dept.code, system=system.name))
            continue
        seen[system.name] = at.line
        bucket = f"{_PREFIX}-{dept.code}-{system.name}"
        reason = cloudnames.problem("bucket", bucket)
        if reason is not None:
            after.append(_error(f"system name '{system.name}' makes the bucket name '{bucket}', which {reason}",
                                at, "rename the system", department=dept.code, system=system.name))
    return out, after
