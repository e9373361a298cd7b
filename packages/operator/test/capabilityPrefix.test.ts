// SPDX-License-Identifier: Apache-2.0
// The setpriv prefix that confines the dev daemon to a DaemonSet's capability list.
import { describe, expect, it } from '@jest/globals';
import { capabilityBoundingPrefix } from '@chaosplane/dev';

describe('capabilityBoundingPrefix', () => {
  it('turns Kubernetes capability names into a setpriv bounding set with nothing inheritable', () => {
    expect(capabilityBoundingPrefix(['SYS_ADMIN', 'CAP_KILL', 'SETGID'])).toEqual([
      'setpriv',
      '--bounding-set=-all,+sys_admin,+kill,+setgid',
      '--inh-caps=-all',
      '--',
    ]);
    expect(capabilityBoundingPrefix([])).toEqual(['setpriv', '--bounding-set=-all', '--inh-caps=-all', '--']);
  });

  it('refuses a name that is not a capability, naming the entry', () => {
    expect(() => capabilityBoundingPrefix(['SYS_ADMIN', 'sys_ptrace,+all'])).toThrow(
      /daemonCapabilities\[1\] "sys_ptrace,\+all" is not a capability name/,
    );
  });
});
