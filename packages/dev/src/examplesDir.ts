// SPDX-License-Identifier: Apache-2.0
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The repository's examples/ directory (packages/dev/{src,dist} → ../../../examples),
 * or undefined when Chaosplane runs from installed packages without it.
 */
export function examplesDir(): string | undefined {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const dir = path.resolve(here, '../../../examples');
  return existsSync(path.join(dir, 'helloworld.yaml')) ? dir : undefined;
}
