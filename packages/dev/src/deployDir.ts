// SPDX-License-Identifier: Apache-2.0
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The repository's deploy/ directory (packages/dev/{src,dist} → ../../../deploy), or undefined
 * when Chaosplane runs from installed packages without it.
 */
export function deployDir(): string | undefined {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const dir = path.resolve(here, '../../../deploy');
  return existsSync(path.join(dir, 'rbac', 'operator.yaml')) ? dir : undefined;
}
