#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# StressChaos's own gRPC stubs: packages/experiment-stresschaos/proto -> src/gen.
set -euo pipefail
cd "$(dirname "$0")/../../packages/experiment-stresschaos"
../../node_modules/.bin/buf generate --template buf.gen.yaml
