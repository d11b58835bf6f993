"""Every consolidation figure of tests/data/consolidation, computed by hand.

The city: gaj (politics-law: one dedicated-line system and one extranet system, OA, site; it
still counts on the shared networks: its extranet system, OA and site use them),
slj (general: two systems, OA, no site, over its vCPU quota), tjj (general: a site only,
no quota, no system). Sizes per DESIGN §3:
    gaj  case-handling   vCPU 2×8=16  mem 2×32=64  storage 2×100 + 200×2 + 100 = 700
         permit-registry vCPU 1×4=4   mem 1×8=8    storage 1×50              = 50
    slj  permits         vCPU 2×4=8   mem 2×16=32  storage 2×100 + 100×1     = 300
         river-monitoring vCPU 1×2=2  mem 1×4=4    storage 1×40 + 60         = 100
"""
from __future__ import annotations

from dataclasses import replace

import pytest

from govcloud.api import load_project
from govcloud.consolidation import DuplicateGroup, capacity, chargeback, consolidate, savings
from govcloud.model import Project
from tests.conftest import DATA, MINI

CITY = DATA / "consolidation"


@pytest.fixture(scope="module")
def project() -> Project:
    return load_project(CITY)


# --- savings -------------------------------------------------------------------------------

def test_network_lines_use_the_overridden_price_book_and_keep_a_department_with_one_dedicated_line(
        project: Project) -> None:
    line = savings(project).line("network-lines")
    # gaj keeps one dedicated line but its other system is on the extranet: all three count
    assert (line.count, line.reference, line.reference_units) == (3, 3_000_000, 1000)
    assert line.amount == 9_000
    # the guidance's figures are floors, and 单位 are organisations
    assert line.formula == "≥ ¥300万/yr ÷ 1,000 organisations × 3 departments on the shared networks = ≥ ¥0.9万/yr"


def test_a_department_all_on_private_lines_is_not_on_the_shared_networks(project: Project) -> None:
    from govcloud.consolidation.savings import on_shared_network

    gaj = project.department("gaj")
    assert gaj is not None and on_shared_network(gaj)
    only_dedicated = replace(gaj, systems=tuple(s for s in gaj.systems if s.network == "dedicated"))
    assert not on_shared_network(only_dedicated)


def test_oa_uses_the_seed_default(project: Project) -> None:
    line = savings(project).line("oa")
    # gaj and slj are OA tenants: 8,000,000 ÷ 80 × 2 (seed 004 default)
    assert (line.count, line.amount, line.period) == (2, 200_000, "year")


def test_site_uses_the_overridden_price_book(project: Project) -> None:
    line = savings(project).line("site")
    # gaj and tjj have a sub-site: 600,000 ÷ 60 × 2
    assert (line.count, line.amount) == (2, 20_000)


def test_data_centre_is_one_off_per_system(project: Project) -> None:
    s = savings(project)
    line = s.line("datacentre")
    # four systems: 20,000,000 ÷ 200 × 4 (seed 004 default)
    assert (line.count, line.amount, line.period) == (4, 400_000, "one-off")
    assert line.formula.endswith("= ≥ ¥40万 one-off")
    assert s.yearly == 229_000   # 9,000 + 200,000 + 20,000
    assert s.one_off == 400_000


def test_seed_defaults_scale_to_the_mini_city() -> None:
    s = savings(load_project(MINI))
    # 2 departments, both with OA and site, 2 systems, no dedicated line; all seed defaults:
    # lines 9,000,000/1,500×2 = 12,000; OA 8,000,000/80×2 = 200,000; site 6,000,000/180×2 = 66,666.67
    assert [line.amount for line in s.lines] == [12_000, 200_000, 66_666.67, 200_000]
    assert s.yearly == 278_666.67
    assert s.line("site").shown == "≥ ¥6.6万/yr"    # a floor is rounded down, never up


# --- chargeback ----------------------------------------------------------------------------

def test_department_monthly_costs(project: Project) -> None:
    cb = chargeback(project)
    gaj, slj, tjj = cb.of("gaj").cost, cb.of("slj").cost, cb.of("tjj").cost
    # gaj: 20 vCPU×50, 72 GiB×10, 750 GiB×0.5, 300 seats×120/12, 24,000/12
    assert (gaj.compute, gaj.memory, gaj.storage, gaj.oa, gaj.site) == (1000, 720, 375, 3000, 2000)
    assert gaj.total == 7095
    # slj: 10×50, 36×10, 400×0.5, 100×120/12, no site
    assert (slj.compute, slj.memory, slj.storage, slj.oa, slj.site) == (500, 360, 200, 1000, 0)
    assert slj.total == 2060
    # tjj: only the site
    assert (tjj.compute, tjj.oa, tjj.site, tjj.total) == (0, 0, 2000, 2000)


def test_chargeback_totals_and_shares(project: Project) -> None:
    cb = chargeback(project)
    t = cb.total
    assert (t.compute, t.memory, t.storage, t.oa, t.site, t.total) == (1500, 1080, 575, 4000, 4000, 11155)
    assert cb.of("gaj").share == pytest.approx(7095 / 11155)   # 63.6 %
    assert cb.of("slj").share == pytest.approx(0.184670, abs=1e-6)
    assert cb.of("tjj").share == pytest.approx(0.179292, abs=1e-6)
    assert [d.department for d in cb.ranked()] == ["gaj", "slj", "tjj"]
    assert cb.to_json()["yearlyTotal"] == 133_860   # 11,155 × 12


def test_mini_city_chargeback_uses_the_price_book() -> None:
    cb = chargeback(load_project(MINI))
    # gaj: 16×60 + 64×15 + 2,400×0.4 + 3,000×200/12 + 30,000/12 = 960+960+960+50,000+2,500
    assert cb.of("gaj").cost.total == 55_380
    # slj: 8×60 + 32×15 + 1,100×0.4 + 180×200/12 + 2,500 = 480+480+440+3,000+2,500
    assert cb.of("slj").cost.total == 6_900
    assert cb.total.total == 62_280


# --- capacity ------------------------------------------------------------------------------

def test_city_gauges(project: Project) -> None:
    cap = capacity(project)
    got = {g.resource: (g.requested, g.capacity) for g in cap.gauges}
    assert got == {
        "vcpu": (30, 100),
        "memory": (108, 400),
        "storage": (1150, 2048),      # 2 TiB
        "oa-seats": (400, 1000),
        "oa-storage": (150, 1024),    # 1 TiB
        "site-slots": (2, 2),
    }
    assert cap.gauge("storage").ratio == pytest.approx(0.5615234375)
    full = cap.gauge("site-slots")
    assert (full.ratio, full.over) == (1.0, False)   # full is not over


def test_quota_use(project: Project) -> None:
    cap = capacity(project)
    gaj, slj = cap.quotas
    assert gaj.department == "gaj" and not gaj.over
    # gaj: 20/40 vCPU, 72/160 GiB, 750/1,024 GiB storage
    assert [g.ratio for g in gaj.gauges] == pytest.approx([0.5, 0.45, 0.732421875])
    assert gaj.peak == pytest.approx(0.732421875)
    # slj: 10/6 vCPU is over its quota
    assert slj.over and slj.vcpu.over and not slj.storage.over
    assert slj.peak == pytest.approx(10 / 6)
    assert cap.without_quota == ("tjj",)
    assert cap.to_json()["overQuota"] == 1


def test_capacity_without_platforms_has_no_ratio(project: Project) -> None:
    from dataclasses import replace

    from govcloud.model import Platforms

    city = replace(project.city, platforms=Platforms(0, 0, 0))
    cap = capacity(replace(project, city=city))
    assert [g.resource for g in cap.gauges] == ["vcpu", "memory", "storage", "oa-seats", "site-slots"]
    seats = cap.gauge("oa-seats")
    assert seats.ratio is None and seats.over


# --- the overview --------------------------------------------------------------------------

def test_overview_orders_duplicates_by_saving(project: Project) -> None:
    small = DuplicateGroup("river-monitoring", ("a", "b"), (("a", "x"), ("b", "y")), 1_000, "f")
    big = DuplicateGroup("permit-registry", ("gaj", "slj"), (("gaj", "permit-registry"), ("slj", "permits")),
                         50_000, "f")
    overview = consolidate(project, [small, big])
    assert [g.function for g in overview.duplicates] == ["permit-registry", "river-monitoring"]
    assert overview.duplicates_yearly == 51_000
    data = overview.to_json()
    assert data["duplicates"]["yearly"] == 51_000
    assert data["savings"]["yearly"] == 229_000
    assert data["chargeback"]["monthlyTotal"]["total"] == 11_155


def test_the_schema_documents_every_price_book_default() -> None:
    import json
    from importlib.resources import files

    from govcloud.model import DEFAULT_FUNDING, DEFAULT_PRICES

    schema = json.loads(files("govcloud").joinpath("schema/city.schema.json").read_text(encoding="utf-8"))
    prices = schema["properties"]["spec"]["properties"]["prices"]["properties"]
    assert {name: p["default"] for name, p in prices.items() if name != "funding"} == DEFAULT_PRICES
    funding = prices["funding"]["properties"]
    assert {item: p["default"] for item, p in funding.items()} == DEFAULT_FUNDING
    # the seed 004 figures, verbatim
    assert (DEFAULT_PRICES["networkLinesYear"], DEFAULT_PRICES["oaPlatformYear"],
            DEFAULT_PRICES["sitePlatformYear"], DEFAULT_PRICES["datacentreOneOff"]) == (
        9_000_000, 8_000_000, 6_000_000, 20_000_000)


# --- funding, requests under review, money ---------------------------------------------------

def test_shared_platforms_are_city_funded_by_default(project: Project) -> None:
    cb = chargeback(project)
    # 锡政发[2004]99号 四(五): OA seats and sites are paid by the city, not billed to departments
    assert cb.funding == {"compute": "department", "memory": "department", "storage": "department",
                          "oa": "city", "site": "city"}
    gaj = cb.of("gaj")
    assert (gaj.billed, gaj.allocated) == (1000 + 720 + 375, 3000 + 2000)
    assert (cb.billed, cb.allocated) == (1500 + 1080 + 575, 4000 + 4000)
    data = cb.to_json()
    assert (data["monthlyBilled"], data["monthlyAllocated"]) == (3155, 8000)


def test_the_price_book_can_bill_an_item_to_departments(project: Project) -> None:
    city = replace(project.city, funding_of={"oa": "department"})
    cb = chargeback(replace(project, city=city))
    assert cb.of("gaj").billed == 1000 + 720 + 375 + 3000 and cb.of("gaj").allocated == 2000


def test_requests_under_review_are_kept_out_of_the_savings(project: Project) -> None:
    from govcloud.consolidation import under_review

    slj = project.department("slj")
    assert slj is not None and not under_review(slj)
    doc = replace(slj.doc, file="blueprints/requests/slj.yaml")
    pending = replace(project, departments=tuple(replace(d, doc=doc) if d.code == "slj" else d
                                                 for d in project.departments))
    s = savings(pending)
    assert s.under_review == ("slj",)
    assert s.line("oa").count == 1 and s.line("oa").pending == 1      # gaj counted, slj apart
    assert s.line("datacentre").count == 2 and s.line("datacentre").pending == 2
    assert s.yearly == 6_000 + 100_000 + 20_000          # gaj and tjj only
    assert s.pending_yearly == 3_000 + 100_000


def test_money_is_shown_in_wan_and_floors_round_down() -> None:
    from govcloud.consolidation import floor, money

    assert money(4_866_666.67) == "¥486.67万" and money(6_900) == "¥0.69万"
    assert floor(4_866_666.67) == "≥ ¥486万" and floor(12_000) == "≥ ¥1.2万"
    assert money(6_900, unit="yuan") == "¥6,900"
    assert money(0) == "¥0"


def test_the_duplicate_saving_is_labelled_as_an_estimate() -> None:
    from govcloud.model.duplicates import duplicate_groups

    project = load_project(MINI)
    gaj, slj = project.departments
    renamed = replace(slj, systems=tuple(replace(s, function="hukou-registry") for s in slj.systems))
    groups = duplicate_groups(project.city, [gaj, renamed], canonical={"hukou-registry": "household-registry"})
    (group,) = groups
    assert group.function == "household-registry" and group.formula.startswith("govcloud's estimate:")


def test_document_exchange_is_a_membership_of_its_own(project: Project) -> None:
    members = dict(capacity(project).members)
    assert members["oa"] == 2 and members["site"] == 2
    slj = project.department("slj")
    assert slj is not None
    # a department without an OA tenant can still be on the document exchange
    alone = replace(slj, oa=None, exchange_mailboxes=1)
    assert alone.on_document_exchange and not replace(slj, oa=None).on_document_exchange
    others = tuple(alone if d.code == "slj" else d for d in project.departments)
    assert dict(capacity(replace(project, departments=others)).members)["oa"] == 1
    assert capacity(project).to_json()["members"] == members
