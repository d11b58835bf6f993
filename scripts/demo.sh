#!/usr/bin/env bash
# The reviewer's and the data-centre team's day on the example city, end to end.
set -euo pipefail
cd "$(dirname "$0")/.."
gc=.venv/bin/govcloud

echo "== validate the example city's blueprints"
$gc validate blueprints/

echo "== policy gate: the approved departments pass every rule"
$gc check blueprints/departments blueprints/city.yaml

echo "== reviewer's view: the requests under review, with their planted violations"
status=0
$gc check blueprints/ || status=$?
if [ "$status" -ne 1 ]; then  # 1 = policy errors (expected here); anything else is a real failure
  echo "check blueprints/ exited $status, expected 1" >&2
  exit 1
fi

echo "== the sandbox cloud: a local stand-in for the private cloud (reused when it already runs)"
$gc sandbox up

echo "== provision the approved departments on the sandbox stack (policy-gated; a re-run changes nothing)"
# apply prints the summary: what changed, resources per department, the stack's endpoints.
$gc apply --stack sandbox --yes

echo "== the city at a glance: savings, capacity, chargeback, findings"
$gc report --output .govcloud/report.html
echo "report: $(pwd)/.govcloud/report.html"
