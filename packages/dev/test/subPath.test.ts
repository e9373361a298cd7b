// SPDX-License-Identifier: Apache-2.0
// A volume mount's subPath stays inside its volume: the dev kubelet runs as root, so an absolute
// subPath or one with `..` would bind-mount a host directory into the container. Kubernetes
// refuses both; so does the dev kubelet, before any container is created.
import { describe, expect, it } from '@jest/globals';
import { ChaosplaneError } from '@chaosplane/sdk';
import { checkedSubPath } from '../src/kubelet/startInstance.js';

describe('volume mount subPath', () => {
  it('keeps relative paths inside the volume', () => {
    expect(checkedSubPath('config', 'app/settings.yaml')).toBe('app/settings.yaml');
    expect(checkedSubPath('config', 'a..b')).toBe('a..b');
  });

  it.each(['../../etc', 'a/../../b', '/etc/shadow', '..'])('refuses %s, naming the mount', subPath => {
    let caught: unknown;
    try {
      checkedSubPath('config', subPath);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ChaosplaneError);
    expect((caught as ChaosplaneError).kind).toBe('invalid');
    expect((caught as Error).message).toContain(`volume mount config: subPath ${JSON.stringify(subPath)}`);
  });
});
