#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds the emulator and runs its benchmarks (list 10k pods, writes/s, watch fan-out); with
# `admission` as the first argument, the admission latency of a custom resource create instead.
set -euo pipefail
cd "$(dirname "$0")/../.."
npx tsc -b packages/kube-emulator
npx tsc -p bench/kube-emulator/tsconfig.json
if [ "${1:-}" = admission ]; then
  node bench/kube-emulator/dist/admission.bench.js
else
  node bench/kube-emulator/dist/emulator.bench.js "$@"
fi
