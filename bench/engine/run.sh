#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds core and the emulator, then runs the engine benchmarks (see engine.bench.ts).
set -euo pipefail
cd "$(dirname "$0")/../.."
npx tsc -b packages/core packages/kube-emulator
npx tsc -p bench/engine/tsconfig.json
node bench/engine/dist/engine.bench.js "$@"
