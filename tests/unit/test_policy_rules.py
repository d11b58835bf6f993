"""Every rule of the catalogue has a case that makes it fire and one that keeps it quiet.

CASES is keyed by rule id; the meta-test reads the policy packs and fails when a rule has
no such pair. Each case is an edit of the small valid city in tests/data/mini (gaj: a
classified level-3 population database on the intranet; slj: a level-2 extranet system).
"""
from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pytest

from govcloud.policy import check, load_policies

ROOT = Path(__file__).resolve().parents[2]
POLICIES = ROOT / "policies"
MINI = ROOT / "tests" / "data" / "mini"
TODAY = date(2026, 6, 1)

SLJ, GAJ, CITY = "departments/slj.yaml", "departments/gaj.yaml", "city.yaml"
WAIVER = """waivers:
  - {{rule: {rule}, department: {dept}, {system}reason: test, approver: 市数据局,
     reference: 佛数审〔2026〕1号, expires: {expires}}}
"""


@dataclass(frozen=True)
class Case:
    name: str
    edits: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    waivers: str | None = None
    today: date = TODAY
    moves: dict[str, str] = field(default_factory=dict)   # file → where it goes (a request: requests/)


def waiver(rule: str, dept: str, expires: str = "2026-12-31", system: str | None = None) -> str:
    return WAIVER.format(rule=rule, dept=dept, expires=expires, system=f"system: {system}, " if system else "")


UNCHANGED = Case("unchanged")
DEDICATED_SLJ = {SLJ: [("network: extranet", "network: dedicated")]}
LEGACY = "  exemptCategories: [politics-law, social-security]\n"
# The City's open, per-network exemptions (the legacy exemptCategories line stays, as in users' files).
NETWORKS = LEGACY + """  exemptNetworks:
    - {id: medical-insurance, name: 医保专网, basis: 医保专网, departments: [slj], sunset: '2028-12-31'}
    - {id: golden-tax, name: 金税专网, basis: 金税工程}
    - {id: politics-law, name: 政法专网, basis: 政法, departments: [gaj]}
    - {id: old-line, name: 旧专线, basis: 过渡期, sunset: '2026-03-31'}
  districts: [{code: nanhai, name: 南海区}, {code: shunde, name: 顺德区}]
"""
CITY_NETWORKS = (LEGACY, NETWORKS)
SLJ_ON = lambda net: [("network: extranet", f"network: dedicated\n      dedicatedNetwork: {net}")]  # noqa: E731
GAJ_DEDICATED = [("network: intranet", "network: dedicated"), ("classified: true", "classified: false")]
SLJ_SYSTEM_END = "      backup: {offsite: true, rpoMinutes: 60}\n"
GOVERNMENT_ONLY = [("  category: general\n", "  category: general\n  body: vertical\n")]

# The city's registers beside city.yaml (blueprints/city/), as a case writes them.
GRANTS, APPROVALS, PROJECTS, MLPS = "city/grants.yaml", "city/approvals.yaml", "city/projects.yaml", "city/mlps.yaml"


def register(kind: str, key: str, *entries: str) -> list[tuple[str, str]]:
    body = "".join(f"  - {e}\n" for e in entries) or " []\n"
    return [("", f"apiVersion: govcloud/v1\nkind: {kind}\n{key}:" + ("\n" if entries else "") + body)]


GRANTED = {GRANTS: register("Grants", "grants",
                            "{department: slj, quota: {vcpu: 64, memoryGiB: 256, storageTiB: 10}, oaSeats: 180, "
                            "site: true}",
                            "{department: gaj, quota: {vcpu: 400, memoryGiB: 1600, storageTiB: 80}, oaSeats: 3000, "
                            "site: true}")}
PROJECTS_OF = {PROJECTS: register(
    "Projects", "projects",
    "{number: FS-2026-IT-0101, department: slj, reference: 佛发改审〔2026〕1号, approved: 2026-01-10, budget: 1200000, "
    "systems: [river-monitoring]}",
    "{number: FS-2026-IT-0012, department: gaj, reference: 佛发改审〔2026〕2号, approved: 2026-01-10, budget: 5600000, "
    "systems: [household-registry]}")}
APPROVED = {APPROVALS: register(
    "Approvals", "approvals",
    "{department: slj, reference: 佛数审〔2026〕1号, approver: 市数据局, date: 2026-02-01}",
    ("{department: gaj, reference: 佛数审〔2026〕2号, approver: 市数据局, date: 2026-02-01,"
     " scope: [household-registry]}"))}


def mlps(slj: str = "filing: 44060013015-26001, assessed: 2025-09-01, result: pass",
         gaj: str = "filing: 44060013015-26002, assessed: 2026-03-01, result: pass",
         slj_level: int = 2) -> dict[str, list[tuple[str, str]]]:
    return {MLPS: register("MlpsRecords", "records",
                           f"{{department: slj, system: river-monitoring, level: {slj_level}, {slj}}}",
                           f"{{department: gaj, system: household-registry, level: 3, {gaj}}}")}


DECLASSIFIED_GAJ = {GAJ: [("classified: true", "classified: false"), ("      secrecy: confidential\n", "")]}


def secrecy_records(
    gaj: str = "secrecy: confidential, assessed: 2025-03-01, result: pass",
) -> dict[str, list[tuple[str, str]]]:
    """MLPS records where gaj's classified system carries its 分级保护 assessment (no filing number)."""
    return {MLPS: register("MlpsRecords", "records",
                           "{department: slj, system: river-monitoring, level: 2, filing: 44060013015-26001, "
                           "assessed: 2025-09-01, result: pass}",
                           f"{{department: gaj, system: household-registry, level: 3, {gaj}}}")}


# rule id → (cases that must fire it, cases that must keep it quiet)
CASES: dict[str, tuple[list[Case], list[Case]]] = {
    "GC-SCHEMA": (
        [Case("typo", {SLJ: [("      mlps: 2", "      mlsp: 2")]})],
        [UNCHANGED],
    ),
    "GC-POLICY": (
        [Case("unknown rule in a waiver", waivers=waiver("GC-NET-01", "slj")),
         Case("waiver without an approver", waivers="waivers:\n  - {rule: GC-NET-001, department: slj, "
              "reason: x, reference: y, expires: 2026-12-31}\n")],
        [Case("empty waivers", waivers="waivers: []\n")],
    ),
    "GC-NET-001": (
        [Case("private line, general department", DEDICATED_SLJ),
         Case("names a network the city does not list", {CITY: [CITY_NETWORKS], SLJ: SLJ_ON("water-net")}),
         Case("a network another department may use", {CITY: [CITY_NETWORKS], SLJ: SLJ_ON("politics-law")}),
         Case("an exempt department's other line", {CITY: [CITY_NETWORKS],
                                                     GAJ: GAJ_DEDICATED[:1] + [("classified: true",
                                                     "classified: false\n      dedicatedNetwork: medical-insurance")]}),
         Case("exemption past its sunset", {CITY: [CITY_NETWORKS], SLJ: SLJ_ON("old-line")})],
        [UNCHANGED, Case("private line, politics-law (legacy exemptCategories)", {GAJ: GAJ_DEDICATED}),
         Case("ybj on the medical-insurance network", {CITY: [CITY_NETWORKS], SLJ: SLJ_ON("medical-insurance")}),
         Case("vertical agency on 金税", {CITY: [CITY_NETWORKS], SLJ: SLJ_ON("golden-tax") + [
             ("  category: general\n", "  category: vertical\n")]}),
         Case("politics-law on its own network", {CITY: [CITY_NETWORKS], GAJ: GAJ_DEDICATED[:1] + [
             ("classified: true", "classified: false\n      dedicatedNetwork: politics-law")]})],
    ),
    "GC-NET-004": (
        [Case("direct link between the networks", {SLJ: [(SLJ_SYSTEM_END, SLJ_SYSTEM_END + (
            "      parts: [{name: acceptance, network: extranet},"
            " {name: processing, network: intranet, exchange: direct}]\n"))]})],
        [UNCHANGED, Case("外网受理、内网办理 through data sharing", {SLJ: [(SLJ_SYSTEM_END, SLJ_SYSTEM_END + (
            "      parts: [{name: acceptance, network: extranet}, {name: processing, network: intranet}]\n"))]})],
    ),
    "GC-NET-002": (
        [Case("classified on the extranet", {GAJ: [("network: intranet", "network: extranet")]}),
         Case("classified on a private line", {GAJ: [("network: intranet", "network: dedicated")]})],
        [UNCHANGED, Case("classified on the intranet", {SLJ: [("network: extranet", ("network: intranet\n"
                                                                "      classified: true"))]})],
    ),
    "GC-NET-003": (
        [Case("classified and public", {GAJ: [("publicEndpoint: false", "publicEndpoint: true")]})],
        [UNCHANGED, Case("public extranet system", {SLJ: [("      mlps: 2", ("      mlps: 2\n"
                                                           "      publicEndpoint: true"))]})],
    ),
    "GC-DUP-001": (
        [Case("own video conference", {SLJ: [("function: river-monitoring", "function: video-conference")]}),
         Case("own OA", {SLJ: [("function: river-monitoring", "function: oa")]}),
         Case("own OA under a synonym", {SLJ: [("function: river-monitoring", "function: office-automation-system")]}),
         Case("own portal with a public endpoint", {SLJ: [("function: river-monitoring", ("function: portal\n"
                                                            "      publicEndpoint: true"))]})],
        [UNCHANGED, Case("similar name", {SLJ: [("function: river-monitoring", "function: video-analytics")]})],
    ),
    "GC-DUP-002": (
        [Case("not the owner", {SLJ: [("      mlps: 2", "      mlps: 2\n      baseDatabase: population")]}),
         Case("no such base database", {GAJ: [("baseDatabase: population", "baseDatabase: weather")]}),
         Case("delegated by someone who is not the owner", {
             SLJ: [("      mlps: 2", "      mlps: 2\n      baseDatabase: legal-entity"),
                   ("  quota:", "  delegatedHosting: [{baseDatabase: legal-entity, host: slj}]\n  quota:")]})],
        [UNCHANGED, Case("the data bureau hosts it for the owner", {
            SLJ: [("      mlps: 2", "      mlps: 2\n      baseDatabase: population")],
            GAJ: [("  quota:", "  delegatedHosting: [{baseDatabase: population, host: slj}]\n  quota:")]})],
    ),
    "GC-DUP-003": (
        [Case("same function in two departments",
              {SLJ: [("function: river-monitoring", "function: household-registry")]}),
         Case("same function under a synonym", {SLJ: [("function: river-monitoring", "function: hukou-registry")]})],
        [UNCHANGED, Case("same function twice in one department", {SLJ: [(
              "      backup: {offsite: true, rpoMinutes: 60}",
              ("      backup: {offsite: true, rpoMinutes: 60}\n    - {name: river-gauges, function: river-monitoring,"
              " network: extranet, mlps: 1}"))]})],
    ),
    "GC-SEC-001": (
        [Case("offsite false", {SLJ: [("offsite: true", "offsite: false")]}),
         Case("no backup at all", {SLJ: [("      backup: {offsite: true, rpoMinutes: 60}\n", "")]}),
         Case("level 3, hourly off-site copies", {GAJ: [("rpoMinutes: 15", "rpoMinutes: 60")]}),
         Case("level 3, no recovery point",
              {GAJ: [("backup: {offsite: true, rpoMinutes: 15}", "backup: {offsite: true}")]})],
        [UNCHANGED, Case("level 1 without backup", {SLJ: [("      backup: {offsite: true, rpoMinutes: 60}\n", ""),
                                                          ("      mlps: 2", "      mlps: 1")]})],
    ),
    "GC-SEC-002": (
        [Case("level 3 unencrypted", {GAJ: [("encryption: true", "encryption: false")]}),
         Case("level 3, encryption left out", {GAJ: [("      encryption: true\n", "")]})],
        [UNCHANGED, Case("level 2, unencrypted",
                         {SLJ: [(SLJ_SYSTEM_END, SLJ_SYSTEM_END + "      encryption: false\n")]}),
         # The DESIGN contract: at rest only; in transit is GC-SEC-009's.
         Case("level 3, encrypted at rest, in transit not said", {GAJ: [("      encryptionInTransit: true\n", "")]})],
    ),
    "GC-SEC-009": (
        [Case("level 3, not encrypted in transit", {GAJ: [("      encryptionInTransit: true\n", "")]}),
         Case("level 3, in transit off", {GAJ: [("encryptionInTransit: true", "encryptionInTransit: false")]})],
        [UNCHANGED, Case("level 2, in transit not said",
                         {SLJ: [(SLJ_SYSTEM_END, SLJ_SYSTEM_END + "      encryptionInTransit: false\n")]})],
    ),
    "GC-SEC-003": (
        [Case("level 3, one instance", {GAJ: [("count: 2", "count: 1")]}),
         Case("level 3, count left out", {GAJ: [("count: 2, ", "")]}),
         Case("level 3, one database replica", {GAJ: [("replicas: 2", "replicas: 1")]}),
         Case("level 3, no compute at all", {GAJ: [(("      compute: [{role: app, count: 2, vcpu: 8, memoryGiB: 32, "
                                                    "image: kylin-v10-server, diskGiB: 200}]\n"), "")]})],
        [UNCHANGED, Case("level 2, one instance", {SLJ: [("count: 2", "count: 1")]})],
    ),
    "GC-SEC-004": (
        [Case("data centre rated 2", {CITY: [("    mlps: 3", "    mlps: 2")]})],
        [UNCHANGED],
    ),
    "GC-SEC-005": (
        [Case("179 days", {GAJ: [("auditLogDays: 180", "auditLogDays: 179")]})],
        [UNCHANGED, Case("left out (180 by default)", {GAJ: [("      auditLogDays: 180\n", "")]})],
    ),
    "GC-SITE-001": (
        [Case("www prefix", {SLJ: [("host: slj.foshan.gov.cn", "host: www.slj.foshan.gov.cn")]}),
         Case("another city's domain", {SLJ: [("host: slj.foshan.gov.cn", "host: slj.wuxi.gov.cn")]}),
         Case("the city portal's own host", {SLJ: [("host: slj.foshan.gov.cn", "host: www.foshan.gov.cn")]})],
        [UNCHANGED, Case("pinyin abbreviation", {SLJ: [("host: slj.foshan.gov.cn", "host: shuili.foshan.gov.cn")]}),
         Case("vertical agency under its ministry's domain", {SLJ: GOVERNMENT_ONLY + [
             ("host: slj.foshan.gov.cn", "host: foshan.chinatax.gov.cn")]}),
         Case("court (outside 47号)", {GAJ: [
             ("  category: politics-law\n", "  category: politics-law\n  body: court\n"),
             ("host: gaj.foshan.gov.cn", "host: fszy.gov.cn")]}),
         Case("district unit under its district's portal", {CITY: [CITY_NETWORKS], SLJ: [
             ("  category: general\n", "  category: general\n  level: district\n  district: nanhai\n"),
             ("host: slj.foshan.gov.cn", "host: slj.nanhai.gov.cn")]})],
    ),
    "GC-SITE-002": (
        [Case("no interaction column", {SLJ: [(", interaction]", "]")]})],
        [UNCHANGED, Case("procuratorate (outside 47号)", {SLJ: [
            ("  category: general\n", "  category: general\n  body: procuratorate\n"), (", interaction]", "]")]}),
         Case("columns reordered", {SLJ: [("[information-release, interpretation, online-services, interaction]",
                                           "[interaction, online-services, interpretation, information-release]")]})],
    ),
    "GC-SITE-003": (
        [Case("ipv6 false", {SLJ: [("ipv6: true", "ipv6: false")]}),
         Case("ipv6 left out", {SLJ: [("    ipv6: true\n", "")]})],
        [UNCHANGED, Case("vertical agency", {SLJ: GOVERNMENT_ONLY + [("ipv6: true", "ipv6: false")]})],
    ),
    "GC-STD-001": (
        [Case("bad project number", {SLJ: [("project: FS-2026-IT-0101", "project: 2026-0101")]}),
         Case("no project number", {SLJ: [("  project: FS-2026-IT-0101\n", "")]}),
         Case("project not in the register", {**PROJECTS_OF, SLJ: [("FS-2026-IT-0101", "FS-2026-IT-0199")]}),
         Case("another department's project", {**PROJECTS_OF, SLJ: [("FS-2026-IT-0101", "FS-2026-IT-0012")]}),
         Case("system not covered by its project", {**PROJECTS_OF, SLJ: [
             ("name: river-monitoring", "name: river-gauges")]})],
        [UNCHANGED, Case("no pattern in the city", {CITY: [("  projectPattern: '^FS-\\d{4}-IT-\\d{4}$'\n", "")],
                                                     SLJ: [("project: FS-2026-IT-0101", "project: 2026-0101")]}),
         Case("every system covered by a registered project", PROJECTS_OF),
         Case("a system's own registered project", {**PROJECTS_OF, SLJ: [
             ("      mlps: 2\n", "      mlps: 2\n      project: FS-2026-IT-0101\n")]})],
    ),
    "GC-XC-001": (
        [Case("unlisted image", {SLJ: [("image: kylin-v10-server", "image: centos-7-server")]}),
         Case("unlisted engine", {SLJ: [("engine: dm8", "engine: mysql-8")]}),
         Case("listing expired", today=date(2028, 1, 1))],
        [UNCHANGED, Case("another listed image", {SLJ: [("image: kylin-v10-server", "image: uos-v20-server")]}),
         Case("advisory image (GC-XC-002's)", {SLJ: [("image: kylin-v10-server", "image: openeuler-22.03-lts")]})],
    ),
    "GC-CAP-001": (
        [Case("vCPU over quota", {SLJ: [("quota: {vcpu: 64,", "quota: {vcpu: 4,")]}),
         Case("no quota", {SLJ: [("  quota: {vcpu: 64, memoryGiB: 256, storageTiB: 10}\n", "")]}),
         Case("a department raises its own quota: only the grant counts", {GRANTS: register(
             "Grants", "grants", "{department: slj, quota: {vcpu: 4, memoryGiB: 256, storageTiB: 10}, oaSeats: 180, "
             "site: true}", "{department: gaj, quota: {vcpu: 400, memoryGiB: 1600, storageTiB: 80}, oaSeats: 3000, "
             "site: true}"), SLJ: [("quota: {vcpu: 64,", "quota: {vcpu: 640,")]}),
         Case("spec.quota with no grant says so", {GRANTS: register(
             "Grants", "grants", "{department: gaj, quota: {vcpu: 400, memoryGiB: 1600, storageTiB: 80}, "
             "oaSeats: 3000, site: true}")}),
         Case("OA seats above the grant", {**GRANTED, SLJ: [("oa: {seats: 180,", "oa: {seats: 181,")]})],
        [UNCHANGED, Case("exactly the quota", {SLJ: [("quota: {vcpu: 64,", "quota: {vcpu: 8,")]}),
         Case("within the grant, asking for less", {**GRANTED, SLJ: [("quota: {vcpu: 64,", "quota: {vcpu: 1,")]}),
         Case("within the grant, asking for nothing", {**GRANTED, SLJ: [
             ("  quota: {vcpu: 64, memoryGiB: 256, storageTiB: 10}\n", "")]}),
         Case("a retired system frees its quota", {SLJ: [
             ("quota: {vcpu: 64,", "quota: {vcpu: 4,"),
             ("      mlps: 2\n", "      mlps: 2\n      retire: 2026-05-31\n")]})],
    ),
    "GC-MLPS-001": (
        [Case("approved level-2 system never filed", mlps(slj="assessed: 2026-01-10, result: pass")),
         Case("approved level-2 system with no record", {MLPS: register(
             "MlpsRecords", "records", "{department: gaj, system: household-registry, level: 3, "
             "filing: 44060013015-26002, assessed: 2026-03-01, result: pass}")}),
         Case("rated at another level", mlps(slj_level=1))],
        [UNCHANGED, Case("filed at its level", mlps()),
         Case("a request is filed once it runs", {MLPS: register(
             "MlpsRecords", "records", "{department: gaj, system: household-registry, level: 3, "
             "filing: 44060013015-26002, assessed: 2026-03-01, result: pass}")}, moves={SLJ: "requests/slj.yaml"}),
         Case("a classified system needs no filing number", secrecy_records()),
         Case("level 1 is not filed", {MLPS: register(
             "MlpsRecords", "records", "{department: gaj, system: household-registry, level: 3, "
             "filing: 44060013015-26002, assessed: 2026-03-01, result: pass}"), SLJ: [("mlps: 2", "mlps: 1")]})],
    ),
    "GC-MLPS-002": (
        [Case("level 3 assessed more than a year ago", {
            **mlps(gaj="filing: 44060013015-26002, assessed: 2025-05-31"), **DECLASSIFIED_GAJ}),
         Case("level 2 assessed more than two years ago", mlps(slj="filing: 44060013015-26001, assessed: 2024-05-01")),
         Case("never assessed", mlps(slj="filing: 44060013015-26001")),
         Case("failed its assessment", {
             **mlps(gaj="filing: 44060013015-26002, assessed: 2026-03-01, result: fail"), **DECLASSIFIED_GAJ})],
        [UNCHANGED, Case("assessed within its interval", mlps()),
         Case("level 3 assessed exactly a year ago", {
             **mlps(gaj="filing: 44060013015-26002, assessed: 2025-06-01"), **DECLASSIFIED_GAJ}),
         Case("a classified system is assessed under 分级保护 instead", mlps(gaj="filing: x, assessed: 2020-01-01"))],
    ),
    "GC-SECRECY-001": (
        [Case("classified with no 密级", {GAJ: [("      secrecy: confidential\n", "")]})],
        [UNCHANGED, Case("secret (机密)", {GAJ: [("secrecy: confidential", "secrecy: secret")]})],
    ),
    "GC-SECRECY-002": (
        [Case("a 密级 on an extranet system", {SLJ: [("      mlps: 2\n", "      mlps: 2\n      secrecy: secret\n")]}),
         Case("a 密级 on a system no longer classified", {GAJ: [("classified: true", "classified: false")]})],
        [UNCHANGED, Case("declassified, without 密级", DECLASSIFIED_GAJ)],
    ),
    "GC-SECRECY-003": (
        [Case("classified without 国密", {GAJ: [("      cryptography: gm\n", "")]}),
         Case("a level-1 classified system unencrypted", {GAJ: [("mlps: 3", "mlps: 1"),
                                                               ("encryption: true", "encryption: false")]}),
         Case("classified without an off-site copy", {GAJ: [("backup: {offsite: true, rpoMinutes: 15}",
                                                             "backup: {offsite: false}")]})],
        [UNCHANGED, Case("a level-1 classified system with every control", {GAJ: [("mlps: 3", "mlps: 1")]}),
         Case("not classified, level 1, unencrypted", {**DECLASSIFIED_GAJ, GAJ: [
             *DECLASSIFIED_GAJ[GAJ], ("mlps: 3", "mlps: 1"), ("encryption: true", "encryption: false")]})],
    ),
    "GC-SECRECY-004": (
        [Case("assessed more than two years ago", secrecy_records(
             "secrecy: confidential, assessed: 2024-05-31, result: pass")),
         Case("never assessed under 分级保护", secrecy_records("secrecy: confidential")),
         Case("record of another 密级", secrecy_records("secrecy: secret, assessed: 2026-03-01, result: pass")),
         Case("record names no 密级", mlps()),
         Case("failed its assessment", secrecy_records("secrecy: confidential, assessed: 2026-03-01, result: fail"))],
        [UNCHANGED, Case("assessed within two years", secrecy_records()),
         Case("assessed exactly two years ago", secrecy_records(
             "secrecy: confidential, assessed: 2024-06-01, result: pass")),
         Case("a request is not assessed yet", secrecy_records("secrecy: confidential"),
              moves={GAJ: "requests/gaj.yaml"})],
    ),
    "GC-FLOW-001": (
        [Case("approved file with no approval record", {APPROVALS: register(
             "Approvals", "approvals", "{department: slj, reference: 佛数审〔2026〕1号, approver: 市数据局, "
             "date: 2026-02-01}")}),
         Case("a system outside the approval's scope", {**APPROVED, GAJ: [
             ("    - name: household-registry", "    - name: hukou-archive")]})],
        [UNCHANGED, Case("every department approved", APPROVED),
         Case("a request needs no approval yet", {APPROVALS: register(
             "Approvals", "approvals", "{department: gaj, reference: 佛数审〔2026〕2号, approver: 市数据局, "
             "date: 2026-02-01}")}, moves={SLJ: "requests/slj.yaml"}),
         Case("an amending approval widens the scope", {APPROVALS: register(
             "Approvals", "approvals",
             "{department: slj, reference: 佛数审〔2026〕1号, approver: 市数据局, date: 2026-02-01}",
             "{department: gaj, reference: 佛数审〔2026〕2号, approver: 市数据局, date: 2026-02-01, scope: [x-ray]}",
             "{department: gaj, reference: 佛数审〔2026〕9号, approver: 市数据局, date: 2026-04-01, "
             "scope: [household-registry]}")})],
    ),
    "GC-FLOW-002": (
        [Case("a grant of a department the city does not have", {GRANTS: register(
             "Grants", "grants", "{department: qxj, quota: {vcpu: 8, memoryGiB: 16, storageTiB: 1}}",
             "{department: slj, quota: {vcpu: 64, memoryGiB: 256, storageTiB: 10}, oaSeats: 180, site: true}",
             "{department: gaj, quota: {vcpu: 400, memoryGiB: 1600, storageTiB: 80}, oaSeats: 3000, site: true}")}),
         Case("an MLPS record of a system that is gone", {**mlps(), SLJ: [
             ("name: river-monitoring", "name: river-gauges")]})],
        [UNCHANGED, Case("every entry names the city's own", {**GRANTED, **APPROVED, **mlps()})],
    ),
    "GC-CAP-002": (
        [Case("data centre too small", {CITY: [("capacity: {vcpu: 8000,", "capacity: {vcpu: 10,")]}),
         Case("OA seats exhausted", {CITY: [("oa: {seats: 40000,", "oa: {seats: 100,")]}),
         Case("site slots exhausted", {CITY: [("maxSites: 300", "maxSites: 1")]})],
        [UNCHANGED],
    ),
    "GC-OA-001": (
        [Case("no OA tenant", {SLJ: [("  oa: {seats: 180, storageGiB: 200, documentExchange: true}\n", "")]})],
        [UNCHANGED,
         Case("vertical agency on its ministry's OA", {SLJ: GOVERNMENT_ONLY + [
             ("  oa: {seats: 180, storageGiB: 200, documentExchange: true}\n",
              "  documentExchange: {mailboxes: 1}\n")]}),
         Case("vertical category implies a vertical agency", {SLJ: [
             ("  category: general\n", "  category: vertical\n"),
             ("  oa: {seats: 180, storageGiB: 200, documentExchange: true}\n", "")]}),
         Case("party body", {SLJ: [("  category: general\n", "  category: general\n  body: party\n"),
                                   ("  oa: {seats: 180, storageGiB: 200, documentExchange: true}\n", "")]})],
    ),
    "GC-SEC-006": (
        [Case("level 3 without 国密", {GAJ: [("      cryptography: gm\n", "")]}),
         Case("level 3 on international algorithms", {GAJ: [("cryptography: gm", "cryptography: international")]})],
        [UNCHANGED, Case("level 2 without 国密",
                         {SLJ: [(SLJ_SYSTEM_END, SLJ_SYSTEM_END + "      cryptography: international\n")]})],
    ),
    "GC-STD-002": (
        [Case("typo", {SLJ: [("function: river-monitoring", "function: river-monitorng")]}),
         Case("a term of its own", {SLJ: [("function: river-monitoring", "function: water-stuff")]})],
        [UNCHANGED, Case("synonym", {SLJ: [("function: river-monitoring", "function: citizen-hotline")]})],
    ),
    "GC-STD-003": (
        [Case("district unit in an unknown district", {CITY: [CITY_NETWORKS], SLJ: [
            ("  category: general\n", "  category: general\n  level: district\n  district: nanhia\n")]}),
         Case("town unit naming no district", {CITY: [CITY_NETWORKS], SLJ: [
            ("  category: general\n", "  category: general\n  level: town\n")]})],
        [UNCHANGED, Case("district unit of Nanhai", {CITY: [CITY_NETWORKS], SLJ: [
            ("  category: general\n", "  category: general\n  level: district\n  district: nanhai\n")]})],
    ),
    "GC-XC-002": (
        [Case("advisory image", {SLJ: [("image: kylin-v10-server", "image: openeuler-22.03-lts")]}),
         Case("advisory engine", {SLJ: [("engine: dm8", "engine: opengauss-5")]})],
        [UNCHANGED, Case("listed image", {SLJ: [("image: kylin-v10-server", "image: uos-v20-server")]})],
    ),
    "GC-DATA-001": (
        [Case("base database nobody hosts",
              {SLJ: [("      mlps: 2", "      mlps: 2\n      consumes: [legal-entity]")]}),
         Case("dataset nobody shares", {SLJ: [("      mlps: 2", "      mlps: 2\n      consumes: [rainfall]")]}),
         Case("dataset shared with someone else", {
             GAJ: [("to: [slj]", "to: [mzj]")],
             SLJ: [("      mlps: 2", "      mlps: 2\n      consumes: [resident-registry]")]})],
        [UNCHANGED, Case("shared with it", {
            SLJ: [("      mlps: 2", "      mlps: 2\n      consumes: [resident-registry, population]")]})],
    ),
    "GC-WAIVER-001": (
        [Case("expired", DEDICATED_SLJ, waivers=waiver("GC-NET-001", "slj", expires="2026-05-31"))],
        [Case("last day", DEDICATED_SLJ, waivers=waiver("GC-NET-001", "slj", expires="2026-06-01"))],
    ),
    "GC-WAIVER-002": (
        [Case("matches nothing", waivers=waiver("GC-NET-001", "slj")),
         Case("system that does not exist", DEDICATED_SLJ,
              waivers=waiver("GC-NET-001", "slj", system="river-gauges"))],
        [Case("matches", DEDICATED_SLJ, waivers=waiver("GC-NET-001", "slj", system="river-monitoring")),
         Case("department not checked", waivers=waiver("GC-NET-001", "mzj"))],
    ),
}


def run_case(tmp_path: Path, case: Case) -> list[str]:
    city = tmp_path / "blueprints"
    shutil.copytree(MINI, city)
    for name, edits in case.edits.items():
        path = city / name
        text = path.read_text("utf-8") if path.exists() else ""
        for old, new in edits:
            if not old:  # a new file, e.g. a register beside city.yaml
                path.parent.mkdir(parents=True, exist_ok=True)
                text = new
                continue
            assert old in text, f"{case.name}: {old!r} not in {name}"
            text = text.replace(old, new, 1)
        path.write_text(text, "utf-8")
    for source, target in case.moves.items():
        (city / target).parent.mkdir(parents=True, exist_ok=True)
        (city / source).rename(city / target)
    waivers = None
    if case.waivers is not None:
        waivers = tmp_path / "waivers.yaml"
        waivers.write_text(case.waivers, "utf-8")
    result = check([str(city)], policies=POLICIES, waivers=waivers, today=case.today)
    return [f.rule for f in result.findings if not f.waived]


def _params(fire: bool) -> list[object]:
    return [pytest.param(rule, case, id=f"{rule}-{case.name}")
            for rule, pair in CASES.items() for case in pair[0 if fire else 1]]


@pytest.mark.parametrize(("rule", "case"), _params(fire=True))
def test_fires(tmp_path: Path, rule: str, case: Case) -> None:
    assert rule in run_case(tmp_path, case)


@pytest.mark.parametrize(("rule", "case"), _params(fire=False))
def test_quiet(tmp_path: Path, rule: str, case: Case) -> None:
    assert rule not in run_case(tmp_path, case)


def test_every_rule_in_the_catalogue_has_a_firing_and_a_quiet_case() -> None:
    catalogue = {r.id for r in load_policies(POLICIES).rules}
    missing = sorted(i for i in catalogue if i not in CASES or not CASES[i][0] or not CASES[i][1])
    assert not missing, f"rules without a fire/quiet pair of tests: {missing}"
    assert not set(CASES) - catalogue, f"cases for rules not in the packs: {sorted(set(CASES) - catalogue)}"


def test_the_design_catalogue_is_implemented() -> None:
    design = {"GC-SCHEMA", "GC-NET-001", "GC-NET-002", "GC-NET-003", "GC-DUP-001", "GC-DUP-002", "GC-DUP-003",
              "GC-SEC-001", "GC-SEC-002", "GC-SEC-003", "GC-SEC-004", "GC-SEC-005", "GC-SITE-001", "GC-SITE-002",
              "GC-SITE-003", "GC-STD-001", "GC-XC-001", "GC-CAP-001", "GC-CAP-002", "GC-OA-001", "GC-DATA-001"}
    rules = {r.id: r for r in load_policies(POLICIES).rules}
    assert design <= set(rules)
    for rule in rules.values():
        assert rule.basis and rule.title and rule.hint, rule.id
    assert rules["GC-DUP-003"].severity.value == rules["GC-XC-001"].severity.value == "warning"
