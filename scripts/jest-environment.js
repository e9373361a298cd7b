// SPDX-License-Identifier: Apache-2.0
// jest's node environment, with the AsyncLocalStorage that jest-circus makes for each test file
// turned off when the file ends.
//
// Why: jest-circus (30.1 and later) runs every test inside an AsyncLocalStorage it creates when a
// test file's runtime loads it, so one per file, and nothing disables it. On Node 20 every
// enabled AsyncLocalStorage is walked on every new promise and async resource, for as long as the
// worker lives: after N files, each promise pays for N storages. Measured on the fast tier
// (2 cores): `_propagate` alone was 24 s of 175 s of CPU run in band. Disabling a file's storages
// at its teardown keeps the cost to one storage. Nothing of ours uses AsyncLocalStorage; a
// storage created outside a test file's run (none today) is left as it is.
// Drop this file when jest disables its storage itself, or on Node 24, whose AsyncLocalStorage
// (AsyncContextFrame) costs nothing per storage.
import { AsyncLocalStorage } from 'node:async_hooks';
import { TestEnvironment } from 'jest-environment-node';

/** The storages run during the current test file (a worker runs one file at a time). */
const ranDuringFile = new Set();

// Module scope runs once per worker: the environment module is cached outside the test runtimes.
const run = AsyncLocalStorage.prototype.run;
AsyncLocalStorage.prototype.run = function recordedRun(...args) {
  ranDuringFile.add(this);
  return run.apply(this, args);
};

/** The `node` test environment, which disables the file's AsyncLocalStorages at teardown. */
export default class ChaosplaneTestEnvironment extends TestEnvironment {
  async setup() {
    ranDuringFile.clear();
    await super.setup();
  }

  async teardown() {
    for (const storage of ranDuringFile) storage.disable();
    ranDuringFile.clear();
    await super.teardown();
  }
}
