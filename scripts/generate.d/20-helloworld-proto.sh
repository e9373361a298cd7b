#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# HelloWorldChaos's own gRPC stubs: packages/experiment-helloworld/proto -> src/gen.
set -euo pipefail
cd "$(dirname "$0")/../../packages/experiment-helloworld"
../../node_modules/.bin/buf generate --template buf.gen.yaml
