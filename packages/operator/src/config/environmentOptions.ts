// SPDX-License-Identifier: Apache-2.0
// commander reads an option's `.env()` variable from process.env only. The argument parsers
// take the environment as a parameter (the binaries pass process.env, tests their own), so the
// given environment is applied first, as values from the 'env' source: the command line still
// wins, and nothing depends on the test runner's own environment.
import type { Command } from 'commander';

/**
 * Sets every value-taking option that names an environment variable and has it in `env`, as if
 * commander had read it there. Call before `command.parse`. Boolean options are left to the
 * caller (they need a strict true/false reading).
 */
export function applyEnvironment(command: Command, env: NodeJS.ProcessEnv): void {
  for (const option of command.options) {
    if (option.envVar === undefined || option.isBoolean()) continue;
    const value = env[option.envVar];
    if (value === undefined) continue;
    const parsed: unknown = option.parseArg ? option.parseArg(value, option.defaultValue) : value;
    command.setOptionValueWithSource(option.attributeName(), parsed, 'env');
  }
}
