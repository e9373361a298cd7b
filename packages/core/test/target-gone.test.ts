// SPDX-License-Identifier: Apache-2.0
import { describe, expect, it } from '@jest/globals';
import { ClientError, Status } from 'nice-grpc-common';
import { ChaosplaneError, isTargetGone } from '@chaosplane/core';

describe('isTargetGone', () => {
  it('recognises a vanished pod or container, from the API or from the daemon', () => {
    expect(isTargetGone(new ChaosplaneError('not-found', 'pod ns/p not found'))).toBe(true);
    expect(isTargetGone(new ClientError('/x.Daemon/Kill', Status.NOT_FOUND, 'container gone'))).toBe(true);
  });

  it('does not mistake other failures for a vanished target', () => {
    expect(isTargetGone(new ChaosplaneError('daemon', 'no chaos daemon found on node n'))).toBe(false);
    expect(isTargetGone(new ClientError('/x.Daemon/Kill', Status.UNAVAILABLE, 'connection refused'))).toBe(
      false,
    );
    expect(isTargetGone(new Error('not found'))).toBe(false);
    expect(isTargetGone(undefined)).toBe(false);
  });
});
