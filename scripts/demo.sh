#!/usr/bin/env bash
# The reviewer's and the data-centre team's day on the example city, end to end.
set -euo pipefail
cd "$(dirname "$0")/.."
gc=.venv/bin/govcloud

echo "== validate the example city's blueprints"
$gc validate blueprints/
