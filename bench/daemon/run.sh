#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds everything (the benchmark uses the daemon and the dev harness, which reaches most
# packages) and runs the daemon benchmarks (needs root for containerd).
set -euo pipefail
cd "$(dirname "$0")/../.."
npx tsc -b tsconfig.json
npx tsc -p bench/daemon/tsconfig.json
node bench/daemon/dist/daemon.bench.js
