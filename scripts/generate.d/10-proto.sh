#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# gRPC stubs with buf + ts-proto (nice-grpc flavour, native ESM imports), into
# packages/daemon/src/gen: proto/chaosplane (the daemon's core service) and proto/thirdparty
# (the containerd subset the daemon and @chaosplane/dev's local kubelet call, through
# @chaosplane/daemon/containerd, and the CRI subset the daemon calls).
set -euo pipefail
cd "$(dirname "$0")/../.."
node_modules/.bin/buf generate --template buf.gen.yaml
