// SPDX-License-Identifier: Apache-2.0
// Kubernetes resource quantities (`resource.Quantity`), as a pod's `resources.limits.memory` is
// written: a decimal number with a binary (Ki, Mi…), decimal (k, M…, m) or exponent (e6) suffix.
import { ChaosplaneError } from '@chaosplane/sdk';

const BINARY: Record<string, number> = {
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};
const DECIMAL: Record<string, number> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
};
const QUANTITY = /^([+-]?(?:\d+\.?\d*|\.\d+))(?:(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE])|[eE]([+-]?\d+))?$/;

/**
 * A quantity of bytes, rounded up to a whole byte as the kubelet does (`128974848`, `129e6`,
 * `123Mi`, `0.5Gi`).
 * @throws ChaosplaneError `invalid` naming `field` when it is not a quantity, or is negative
 */
export function parseByteQuantity(text: string, field: string): number {
  const match = QUANTITY.exec(text.trim());
  if (!match) {
    throw new ChaosplaneError('invalid', `${field}: ${JSON.stringify(text)} is not a quantity (like 64Mi)`, {
      field,
    });
  }
  const [, number, suffix = '', exponent] = match;
  const scale = exponent !== undefined ? 10 ** Number(exponent) : (BINARY[suffix] ?? DECIMAL[suffix]!);
  const bytes = Math.ceil(Number(number) * scale);
  if (bytes < 0) throw new ChaosplaneError('invalid', `${field}: ${text} is negative`, { field });
  return bytes;
}
