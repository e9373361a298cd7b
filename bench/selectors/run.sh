#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Selection benchmark: builds the packages it imports, compiles the benchmark, runs it with
# --expose-gc (for the memory numbers). `--emulator` adds the kube-emulator-backed part.
set -euo pipefail
cd "$(dirname "$0")/../.."
npx tsc -b packages/selectors packages/kube-emulator
npx tsc -p bench/selectors/tsconfig.json
exec node --expose-gc bench/selectors/dist/selection.bench.js "$@"
