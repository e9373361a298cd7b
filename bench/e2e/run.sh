#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds everything and runs the end-to-end HelloWorldChaos benchmark (needs root: containerd).
#   bash bench/e2e/run.sh [PODS] [RUNS]
set -euo pipefail
cd "$(dirname "$0")/../.."
npx tsc -b tsconfig.json
npx tsc -p bench/e2e/tsconfig.json
node bench/e2e/dist/helloworld.bench.js "$@"
