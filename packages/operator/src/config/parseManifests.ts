// SPDX-License-Identifier: Apache-2.0
import { parseAllDocuments } from 'yaml';

/** A Kubernetes object as a manifest writes it. */
export interface ManifestObject {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string; [field: string]: unknown };
  [field: string]: unknown;
}

/** Parses every non-empty document of a YAML stream. */
export function parseManifests(text: string): ManifestObject[] {
  return parseAllDocuments(text)
    .map(doc => doc.toJSON() as ManifestObject | null)
    .filter((obj): obj is ManifestObject => obj !== null && typeof obj === 'object');
}
