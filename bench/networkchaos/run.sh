#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds everything and runs the NetworkChaos partition benchmark (needs root: containerd, CNI).
#   bash bench/networkchaos/run.sh [PODS] [RUNS]
set -euo pipefail
cd "$(dirname "$0")/../.."
npx tsc -b tsconfig.json
npx tsc -p bench/networkchaos/tsconfig.json
node bench/networkchaos/dist/partition.bench.js "$@"
