#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds the packages and runs the daemon benchmarks (needs root for containerd).
set -euo pipefail
cd "$(dirname "$0")/../.."
npx tsc -b packages/core packages/daemon
npx tsc -p bench/daemon/tsconfig.json
node bench/daemon/dist/daemon.bench.js
