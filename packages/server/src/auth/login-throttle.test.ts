import { describe, expect, it } from 'vitest';
import { LocalAttemptCounter, LoginThrottle, WorkLimit } from './login-throttle.js';

describe('LoginThrottle', () => {
  const options = { maxFailuresPerUser: 3, maxFailuresPerAddress: 5, windowMs: 60_000 };

  it('refuses a username after its failures, with the window left as Retry-After, then forgets', async () => {
    let now = 1_000_000;
    const throttle = new LoginThrottle(new LocalAttemptCounter(() => now), options);
    expect(await throttle.check('Ana', '10.0.0.1')).toEqual({ ok: true });
    expect(await throttle.failed('ana', '10.0.0.1')).toBeNull();
    expect(await throttle.failed('ana', '10.0.0.2')).toBeNull();
    expect(await throttle.failed('ANA', '10.0.0.3')).toBe('username');
    now += 20_000;
    expect(await throttle.check('ana', '10.0.0.9')).toEqual({ ok: false, retryAfterSeconds: 40, by: 'username' });
    expect(await throttle.check('bob', '10.0.0.9')).toEqual({ ok: true });
    now += 40_000;
    expect(await throttle.check('ana', '10.0.0.9')).toEqual({ ok: true });
  });

  it('refuses an address that tries many usernames', async () => {
    const throttle = new LoginThrottle(new LocalAttemptCounter(), options);
    for (let i = 0; i < 4; i++) expect(await throttle.failed(`user${i}`, '10.0.0.1')).toBeNull();
    expect(await throttle.failed('user4', '10.0.0.1')).toBe('address');
    expect(await throttle.check('someone-else', '10.0.0.1')).toMatchObject({ ok: false, by: 'address' });
    expect(await throttle.check('someone-else', '10.0.0.2')).toEqual({ ok: true });
  });

  it('a success clears the username but not the address', async () => {
    const throttle = new LoginThrottle(new LocalAttemptCounter(), options);
    await throttle.failed('ana', '10.0.0.1');
    await throttle.failed('ana', '10.0.0.1');
    await throttle.succeeded('ana');
    await throttle.failed('ana', '10.0.0.1');
    await throttle.failed('ana', '10.0.0.1');
    expect(await throttle.check('ana', '10.0.0.2')).toEqual({ ok: true });
  });
});

describe('WorkLimit', () => {
  it('runs at most `concurrency` at once, queues `queue`, and refuses the rest at once', async () => {
    const limit = new WorkLimit(2, 3);
    let running = 0;
    let peak = 0;
    const releases: Array<() => void> = [];
    const task = () =>
      new Promise<string>((resolve) => {
        running++;
        peak = Math.max(peak, running);
        releases.push(() => {
          running--;
          resolve('done');
        });
      });
    const results = Array.from({ length: 7 }, () => limit.run(task));
    expect(await results[5]).toBeNull();
    expect(await results[6]).toBeNull();
    while (releases.length > 0 || running > 0) {
      releases.shift()?.();
      await new Promise((r) => setImmediate(r));
    }
    expect(await Promise.all(results.slice(0, 5))).toEqual(['done', 'done', 'done', 'done', 'done']);
    expect(peak).toBe(2);
  });
});
