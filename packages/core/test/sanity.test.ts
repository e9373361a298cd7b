import { describe, expect, it } from '@jest/globals';
import * as k8s from '@kubernetes/client-node';
import { createServer } from 'nice-grpc';
import { Container } from 'inversify';
import { PACKAGE_NAME } from '@chaosplane/core';

describe('toolchain', () => {
  it('loads ESM and CJS deps', () => {
    expect(typeof k8s.KubeConfig).toBe('function');
    expect(typeof createServer).toBe('function');
    expect(new Container()).toBeDefined();
    expect(PACKAGE_NAME).toBe('@chaosplane/core');
  });
});
