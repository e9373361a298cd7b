#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Every code generator of the repository, in dependency order.
set -euo pipefail
cd "$(dirname "$0")/.."
# gRPC stubs (buf + ts-proto) and CRD YAML are added by their owning packages.
for g in scripts/generate.d/*.sh; do
  [ -e "$g" ] || continue
  bash "$g"
done
