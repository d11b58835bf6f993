#!/usr/bin/env python3
"""Write a synthetic city of N departments: `bench/gen_city.py N OUT [--seed S]`.

The mix follows the example city: ~85 % general departments, the rest politics-law,
social-security and vertical; 1-4 systems each at MLPS 1-4; OA tenants and sub-sites;
data sharing; and ~5 % of departments carrying a realistic violation (own OA, classified
system on the extranet, missing off-site backup…) so policy evaluation does real work.
"""
from __future__ import annotations

import argparse
import os
import random
import zlib
from functools import cache

import yaml

CATEGORIES = ["general"] * 17 + ["politics-law", "social-security", "vertical"]
IMAGES = ["kylin-v10-server", "kylin-v11-server", "uos-v20-server", "nfs-v12-server"]
ENGINES = ["dm8", "kingbase-v8", "gbase-8s", "shentong-v7"]
WORDS = ["permit", "registry", "inspection", "monitoring", "subsidy", "archive", "licence", "survey",
         "statistics", "grid", "hotline", "case", "asset", "planning", "credit", "school", "clinic", "river"]
COLUMNS = "[information-release, interpretation, online-services, interaction]"
VIOLATIONS = ["own-oa", "classified-extranet", "no-offsite", "dedicated", "short-logs", "bad-host"]
FUNCTIONS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "policies", "data",
                         "functions.yaml")
UNKNOWN_SHARE = 20  # one term in 20 stays outside the vocabulary
SHARED = "open-data-portal"


@cache
def vocabulary() -> tuple[str, ...]:
    """The vocabulary's ids a department may build itself (shared-platform functions excluded)."""
    with open(FUNCTIONS, encoding="utf-8") as fh:
        return tuple(sorted(f["id"] for f in yaml.safe_load(fh)["functions"] if not f.get("platform")))


def function_id(term: str) -> str:
    """A vocabulary id for a generated term, stable across runs; one term in UNKNOWN_SHARE is kept
    as it is (not in the vocabulary)."""
    h = zlib.crc32(term.encode())
    ids = vocabulary()
    return term if h % UNKNOWN_SHARE == 0 else ids[h % len(ids)]


def city(n: int) -> str:
    return f"""apiVersion: govcloud/v1
kind: City
metadata: {{name: synthetic, title: 合成市}}
spec:
  domain: synthetic.gov.cn
  networks:
    extranet: {{cidr: 10.16.0.0/12}}
    intranet: {{cidr: 10.64.0.0/12}}
    internetZone: {{cidr: 10.96.0.0/16}}
  exemptCategories: [politics-law, social-security]
  projectPattern: '^SY-\\d{{4}}-IT-\\d{{5}}$'
  datacentre:
    region: city-dc-1
    drRegion: city-dr-1
    mlps: 4
    capacity: {{vcpu: {n * 80}, memoryGiB: {n * 320}, storageTiB: {n * 40}}}
  platforms:
    oa: {{seats: {n * 400}, storageTiB: {n}}}
    site: {{maxSites: {n + 10}}}
  prices: {{vcpuMonth: 60, memoryGiBMonth: 15, storageGiBMonth: 0.4, oaSeatYear: 200, siteYear: 30000}}
"""


def system(rng: random.Random, code: str, i: int, category: str, violation: str | None) -> str:
    mlps = rng.choice([1, 2, 2, 3, 3, 4]) if category == "politics-law" else rng.choice([1, 2, 2, 2, 3])
    classified = category == "politics-law" and mlps >= 3 and rng.random() < 0.5
    network = "intranet" if classified else "extranet"
    function = function_id(f"{rng.choice(WORDS)}-{rng.choice(WORDS)}-{rng.randrange(400)}")
    offsite = mlps >= 2
    count = 2 if mlps >= 3 else rng.choice([1, 2])
    logs = 180 + 30 * rng.randrange(4)
    if violation == "own-oa" and i == 0:
        function = "oa"
    elif violation == "classified-extranet" and i == 0:
        classified, network = True, "extranet"
    elif violation == "no-offsite" and i == 0:
        mlps, offsite = 2, False
    elif violation == "dedicated" and i == 0:
        network = "dedicated"
    elif violation == "short-logs" and i == 0:
        logs = 90
    return f"""    - name: {code}-sys{i}
      title: 业务系统{i}
      function: {function}
      network: {network}
      classified: {str(classified).lower()}
      mlps: {mlps}
      compute:
        - {{role: app, count: {count}, vcpu: {rng.choice([2, 4, 8])}, memoryGiB: {rng.choice([8, 16, 32])}, \
image: {rng.choice(IMAGES)}, diskGiB: 100}}
      database: {{engine: {rng.choice(ENGINES)}, storageGiB: {rng.choice([100, 200, 500])}, \
replicas: {2 if mlps >= 3 else 1}}}
      objectStorageGiB: {rng.choice([0, 100, 500])}
      encryption: {str(mlps >= 3).lower()}
      backup: {{offsite: {str(offsite).lower()}, rpoMinutes: 60}}
      auditLogDays: {logs}
"""


def department(rng: random.Random, index: int, n: int, systems: tuple[int, int] = (1, 4)) -> tuple[str, str]:
    code = f"d{index:05d}"
    category = rng.choice(CATEGORIES)
    violation = rng.choice(VIOLATIONS) if rng.random() < 0.05 else None
    host = f"www.{code}.synthetic.gov.cn" if violation == "bad-host" else f"{code}.synthetic.gov.cn"
    headcount = rng.randrange(40, 4000)
    listed = "".join(system(rng, code, i, category, violation) for i in range(rng.randint(*systems)))
    consumes = ""
    if index > 0 and rng.random() < 0.3:
        consumes = f"""    - name: {code}-portal
      title: 数据查询门户
      function: {SHARED}
      network: extranet
      mlps: 1
      consumes: [dataset-{rng.randrange(max(1, n))}]
"""
    text = f"""apiVersion: govcloud/v1
kind: Department
metadata:
  code: {code}
  name: 合成局{index}
  category: {category}
  project: SY-2026-IT-{index:05d}
  headcount: {headcount}
spec:
  quota: {{vcpu: 200, memoryGiB: 800, storageTiB: 40}}
  oa: {{seats: {min(headcount, 400)}, storageGiB: 200, documentExchange: true}}
  site:
    host: {host}
    columns: {COLUMNS}
    ipv6: true
    storageGiB: 20
  systems:
{listed}{consumes}    - name: {code}-open-data
      title: 开放数据
      function: {SHARED}
      network: extranet
      mlps: 1
      shares: [{{dataset: dataset-{index}, to: [d{(index + 1) % n:05d}]}}]
"""
    return code, text


def generate(n: int, out: str, seed: int = 1, systems: tuple[int, int] = (1, 4)) -> None:
    """`systems`: the fewest and most business systems a department has (bigger departments
    make a bigger city within the address plan's 240 department zones)."""
    rng = random.Random(seed)
    os.makedirs(os.path.join(out, "departments"), exist_ok=True)
    with open(os.path.join(out, "city.yaml"), "w", encoding="utf-8") as fh:
        fh.write(city(n))
    for index in range(n):
        code, text = department(rng, index, n, systems)
        with open(os.path.join(out, "departments", f"{code}.yaml"), "w", encoding="utf-8") as fh:
            fh.write(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("n", type=int, help="number of departments")
    parser.add_argument("out", help="output directory")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--systems", default="1-4", help="business systems per department, MIN-MAX (default 1-4)")
    args = parser.parse_args()
    low, high = (int(x) for x in args.systems.split("-"))
    generate(args.n, args.out, args.seed, (low, high))
    print(f"wrote {args.n} departments and city.yaml to {args.out}")


if __name__ == "__main__":
    main()
