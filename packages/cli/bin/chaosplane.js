#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
// A committed launcher, so npm links `chaosplane` at install time, before the first build.
import '../dist/cli.js';
