// SPDX-License-Identifier: Apache-2.0
// The local kubelet reads a container's memory limit as Kubernetes writes quantities.
import { describe, expect, it } from '@jest/globals';
import { ChaosplaneError } from '@chaosplane/sdk';
import { parseByteQuantity } from '../src/kubelet/parseQuantity.js';

describe('parseByteQuantity', () => {
  it.each([
    ['128974848', 128974848],
    ['129e6', 129_000_000],
    ['129M', 129_000_000],
    ['123Mi', 123 * 2 ** 20],
    ['0.5Gi', 2 ** 29],
    ['64Ki', 65536],
    ['1k', 1000],
    ['1500m', 2], // millibytes, rounded up to a whole byte
  ])('%s is %d bytes', (text, bytes) => {
    expect(parseByteQuantity(text, 'limit')).toBe(bytes);
  });

  it.each(['', 'Mi', '12MB', '1.2.3', '-5Mi', '64 Mi'])('refuses %j naming the field', text => {
    const error = (() => {
      try {
        parseByteQuantity(text, 'spec.containers[main].resources.limits.memory');
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(ChaosplaneError.isKind(error, 'invalid')).toBe(true);
    expect((error as ChaosplaneError).field).toBe('spec.containers[main].resources.limits.memory');
  });
});
