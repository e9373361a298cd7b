#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds everything and runs the StressChaos daemon benchmark (needs root: containerd, cgroups,
# stress-ng).
#   bash bench/stresschaos/run.sh [ROUNDS] [STRESSORS]
set -euo pipefail
cd "$(dirname "$0")/../.."
npx tsc -b tsconfig.json
npx tsc -p bench/stresschaos/tsconfig.json
node bench/stresschaos/dist/stress.bench.js "$@"
