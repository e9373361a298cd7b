#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# NetworkChaos's own gRPC stubs: packages/experiment-networkchaos/proto -> src/gen.
set -euo pipefail
cd "$(dirname "$0")/../../packages/experiment-networkchaos"
../../node_modules/.bin/buf generate --template buf.gen.yaml
