// SPDX-License-Identifier: Apache-2.0
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import {
  createDefaultRateLimiter,
  createExponentialRateLimiter,
  createMaxOfRateLimiter,
  createTokenBucketRateLimiter,
} from '../../src/queue/rateLimiters.js';
import { createWorkQueue } from '../../src/queue/createWorkQueue.js';

describe('rate limiters', () => {
  it('backs off exponentially per key up to the cap, and forget resets', () => {
    const limiter = createExponentialRateLimiter<string>({ baseMs: 5, maxMs: 60_000 });
    expect([1, 2, 3, 4].map(() => limiter.when('a'))).toEqual([5, 10, 20, 40]);
    expect(limiter.when('b')).toBe(5);
    for (let i = 0; i < 100; i += 1) limiter.when('a');
    expect(limiter.when('a')).toBe(60_000);
    expect(limiter.retries('a')).toBe(105);
    limiter.forget('a');
    expect(limiter.when('a')).toBe(5);
  });

  it('the token bucket lets a burst through, then spaces retries by 1/qps', () => {
    let now = 0;
    const bucket = createTokenBucketRateLimiter<string>({ qps: 10, burst: 3, now: () => now });
    expect([bucket.when('x'), bucket.when('y'), bucket.when('z')]).toEqual([0, 0, 0]);
    expect(bucket.when('w')).toBe(100);
    expect(bucket.when('v')).toBe(200);
    now = 1_000;
    expect(bucket.when('u')).toBe(0);
  });

  it('the combined limiter takes the larger delay', () => {
    const now = 0;
    const limiter = createMaxOfRateLimiter<string>(
      createExponentialRateLimiter({ baseMs: 5, maxMs: 1_000 }),
      createTokenBucketRateLimiter({ qps: 1, burst: 1, now: () => now }),
    );
    expect(limiter.when('a')).toBe(5);
    expect(limiter.when('a')).toBe(1_000);
    expect(() => createDefaultRateLimiter({ baseMs: 0 })).toThrow(RangeError);
  });
});

describe('work queue', () => {
  it('deduplicates keys and never hands an in-flight key to a second worker', async () => {
    const queue = createWorkQueue<string>();
    queue.add('a');
    queue.add('a');
    queue.add('b');
    expect(queue.depth()).toBe(2);
    const first = await queue.get();
    expect(first).toBe('a');
    queue.add('a'); // while in flight: marked dirty, not queued
    expect(queue.depth()).toBe(1);
    expect(await queue.get()).toBe('b');
    expect(queue.depth()).toBe(0);
    queue.done('a');
    expect(queue.depth()).toBe(1); // re-queued on done
    expect(await queue.get()).toBe('a');
    queue.done('a');
    queue.done('b');
    expect(queue.depth()).toBe(0);
    queue.shutDown();
  });

  it('addAt fires at the given time and keeps the earliest time per key', async () => {
    const queue = createWorkQueue<string>();
    const start = Date.now();
    queue.addAt('k', start + 400);
    queue.addAt('k', start + 100);
    queue.addAt('k', start + 300);
    expect(queue.delayed()).toBe(1);
    const key = await queue.get();
    expect(key).toBe('k');
    expect(Date.now() - start).toBeGreaterThanOrEqual(95);
    queue.done('k');
    queue.shutDown();
  });

  it('get resolves undefined on shut down and on abort', async () => {
    const queue = createWorkQueue<string>();
    const controller = new AbortController();
    const waiting = queue.get(controller.signal);
    controller.abort();
    expect(await waiting).toBeUndefined();
    const other = queue.get();
    queue.shutDown();
    expect(await other).toBeUndefined();
    queue.add('late');
    expect(queue.depth()).toBe(0);
  });

  it('property: with concurrent workers every added key is processed, never twice at once', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 1, maxLength: 60 }),
        async adds => {
          const queue = createWorkQueue<string>();
          const active = new Set<string>();
          const processed = new Set<string>();
          let overlap = false;
          const worker = async () => {
            for (;;) {
              const key = await queue.get();
              if (key === undefined) return;
              if (active.has(key)) overlap = true;
              active.add(key);
              await new Promise(resolve => setImmediate(resolve));
              processed.add(key);
              active.delete(key);
              queue.done(key);
            }
          };
          const workers = [worker(), worker(), worker()];
          for (const n of adds) {
            queue.add(String(n));
            if (n % 3 === 0) await new Promise(resolve => setImmediate(resolve));
          }
          while (queue.depth() > 0 || queue.inFlight() > 0)
            await new Promise(resolve => setImmediate(resolve));
          queue.shutDown();
          await Promise.all(workers);
          expect(overlap).toBe(false);
          expect([...processed].sort()).toEqual([...new Set(adds.map(String))].sort());
        },
      ),
      { numRuns: 50 },
    );
  });
});
