#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds the engine (with the SDK, kube and service it references) and the emulator, then runs
# the engine benchmarks (see engine.bench.ts).
set -euo pipefail
cd "$(dirname "$0")/../.."
npx tsc -b packages/engine packages/kube-emulator
npx tsc -p bench/engine/tsconfig.json
node bench/engine/dist/engine.bench.js "$@"
