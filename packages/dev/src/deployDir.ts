// SPDX-License-Identifier: Apache-2.0
import { existsSync, readFileSync } from 'node:fs';
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

/**
 * Where scripts/build-image.sh writes the image of this checkout:
 * `.chaosplane/image/chaosplane-<version of @chaosplane/operator>.oci.tar` at the repository's
 * root; undefined outside a clone.
 */
export function defaultImageArchive(): string | undefined {
  const deploy = deployDir();
  if (deploy === undefined) return undefined;
  const root = path.dirname(deploy);
  const manifest = JSON.parse(readFileSync(path.join(root, 'packages/operator/package.json'), 'utf8')) as {
    version: string;
  };
  return path.join(root, '.chaosplane', 'image', `chaosplane-${manifest.version}.oci.tar`);
}
