/**
 * Smooth under bursts and light to load (issue 15, item 4 and page weight): 200 alerts posted in
 * ~1.4 s must not stall the page (longest main-thread task, a click's delay until the next frame)
 * and must all be shown soon after; the JS of the sign-in and dashboard pages, gzipped, stays
 * under 100 KB and does not include the other pages (they load on demand). The measured figures
 * are printed (docs/benchmarks.md, "Dashboard", quotes them).
 */
import os from 'node:os';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD } from '../../server/src/testing.js';
import { type Harness, startHarness, textOf, WIDE, waitForStatus } from './support.js';

let h: Harness;
const cameras: number[] = [];

interface PerfWindow {
  longTasks: number[];
  longTaskStarts: number[];
  clickDelays: number[];
  clickStarts: number[];
}

beforeAll(async () => {
  h = await startHarness();
  for (const name of ['Front door', 'Parking lot', 'Lobby', 'Warehouse']) {
    cameras.push((await h.rest<{ id: number }>('POST', '/api/cameras', { name, location: 'Site' })).id);
  }
  for (const name of ['Ada Lovelace', 'Alan Turing']) await h.rest('POST', '/api/people', { name });
}, 120_000);

afterAll(async () => {
  await h?.close();
});

describe('dashboard performance', () => {
  // Timing on a shared 2-core machine running other browser tests is noisy: a retry absorbs a
  // one-off stall; a real regression fails every attempt.
  it('stays responsive through 200 alerts in 1.4 s and shows them all', { timeout: 60_000, retry: 2 }, async () => {
    const token = await h.server.tokenFor('admin', 'admin');
    const ctx = await h.newContext({ viewport: WIDE, storage: { token } });
    await ctx.addInitScript(() => {
      const w = window as unknown as PerfWindow;
      w.longTasks = [];
      w.longTaskStarts = [];
      w.clickDelays = [];
      w.clickStarts = [];
      new PerformanceObserver((list) => {
        for (const entry of list.getEntries()) {
          w.longTasks.push(entry.duration);
          w.longTaskStarts.push(entry.startTime);
        }
      }).observe({ type: 'longtask', buffered: true });
      // A click's delay: from the input event's creation until the frame after its handlers ran.
      document.addEventListener(
        'click',
        (event) => {
          const start = event.timeStamp;
          w.clickStarts.push(start);
          requestAnimationFrame(() => setTimeout(() => w.clickDelays.push(performance.now() - start), 0));
        },
        true,
      );
    });
    const page = await ctx.newPage();
    await page.goto(h.server.url);
    await waitForStatus(page, 'connected');
    await page.getByTestId('stat-people-value').filter({ hasText: '2' }).waitFor();
    await page.waitForTimeout(500);
    // Playwright evaluates its own injected script in the page's main world at the first
    // waitForFunction (11–23 ms of CPU, 20–53 ms on the loaded machine, in Chromium traces): done
    // here, before the figures are reset, it is not counted as the dashboard's long task at the
    // end of the burst (where the wait for all alerts would trigger it).
    await page.waitForFunction(() => true);
    // The page's clock when the burst starts: the printed times of long tasks and clicks count from it.
    const t0 = await page.evaluate(() => {
      const w = window as unknown as PerfWindow;
      w.longTasks = [];
      w.longTaskStarts = [];
      w.clickDelays = [];
      w.clickStarts = [];
      return performance.now();
    });

    // Idempotent, so a retry measures the same thing: it waits for this many more unread alerts.
    const before = await page.evaluate(() =>
      Number(document.querySelector('[data-testid="unread-count"]')?.textContent ?? '0'),
    );
    const COUNT = 200;
    const SPREAD_MS = 1400;
    const started = Date.now();
    const posts: Promise<unknown>[] = [];
    const clicks: Promise<void>[] = [];
    for (let i = 0; i < COUNT; i++) {
      const at = started + (i * SPREAD_MS) / COUNT;
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, at - Date.now())));
      posts.push(
        h.rest('POST', '/api/alerts', {
          alert_type: i % 10 === 0 ? 'critical' : i % 3 === 0 ? 'warning' : 'info',
          message: `Burst alert ${i + 1}`,
          camera_id: cameras[i % cameras.length],
        }),
      );
      // Clicks in the middle of the burst, as an operator would: open the alert list, close it.
      if (i === 70 || i === 140) clicks.push(page.getByTestId('alerts-button').click());
    }
    await Promise.all(posts);
    await Promise.all(clicks);
    const burstMs = Date.now() - started;
    const burstEnd = Date.now();
    await page.waitForFunction(
      (want) => document.querySelector('[data-testid="unread-count"]')?.textContent === String(want),
      before + COUNT,
      { timeout: 10_000, polling: 16 },
    );
    const allShownAfterMs = Date.now() - burstEnd;
    await page
      .getByTestId('feed-count')
      .filter({ hasText: `${COUNT} most recent` })
      .waitFor({ timeout: 5000 });
    await page.waitForTimeout(300);
    const measured = await page.evaluate(() => {
      const w = window as unknown as PerfWindow;
      return {
        longTasks: w.longTasks,
        longTaskStarts: w.longTaskStarts,
        clickDelays: w.clickDelays,
        clickStarts: w.clickStarts,
      };
    });
    const { clickDelays, clickStarts } = measured;
    // The observer reports a task some time after it ends: on a loaded machine, a long task of the
    // page's loading can arrive after the reset above. Only tasks begun after the burst began count.
    const tasks = measured.longTasks.map((duration, i) => ({
      duration,
      start: (measured.longTaskStarts[i] ?? 0) - t0,
    }));
    const longTasks = tasks.filter((t) => t.start >= 0).map((t) => t.duration);
    const earlier = tasks.filter((t) => t.start < 0);
    console.log(
      `[dashboard burst] long tasks (start ms after the burst began: duration): ${tasks
        .filter((t) => t.start >= 0)
        .map((t) => `${t.start.toFixed(0)}: ${t.duration.toFixed(0)}`)
        .join(', ')}; clicks at ${clickStarts.map((c) => (c - t0).toFixed(0)).join(', ')}` +
        (earlier.length > 0
          ? `; not counted, from before the burst: ${earlier.map((t) => `${t.start.toFixed(0)}: ${t.duration.toFixed(0)}`).join(', ')}`
          : ''),
    );
    const longest = Math.max(0, ...longTasks);
    console.log(
      `[dashboard burst] ${COUNT} alerts posted in ${burstMs} ms; long tasks: ${longTasks.length}, longest ${longest.toFixed(0)} ms, ` +
        `total ${longTasks.reduce((a, b) => a + b, 0).toFixed(0)} ms; clicks handled after ${clickDelays.map((d) => d.toFixed(0)).join(', ')} ms; ` +
        `all ${COUNT} shown ${allShownAfterMs} ms after the burst (${os.cpus().length} CPUs, ${os.cpus()[0]?.model ?? '?'})`,
    );
    // Both clicks were handled, and everything was shown (the wait above). The goals (no task over
    // 50 ms, a click within 100 ms, all shown within 1 s) are the figures printed above and kept in
    // docs/benchmarks.md. On a shared 2-core machine they measure the machine too (a frame of
    // 20-35 ms of CPU waits for a core), so the bounds allow one task over the goal and twice the
    // goals otherwise; the page before it batched a frame's events (cbf6069^) fails them: 4-29
    // tasks over 50 ms, the longest 81-734 ms, a click 87-875 ms (issue 15 item 4).
    expect(clickDelays.length).toBe(2);
    expect(longTasks.length, 'main-thread tasks over 50 ms during the burst (goal 0)').toBeLessThanOrEqual(1);
    expect(longest, 'longest main-thread task during the burst (ms; goal 50)').toBeLessThan(100);
    expect(Math.max(...clickDelays), 'a click handled during the burst (ms; goal 100)').toBeLessThan(200);
    expect(allShownAfterMs, 'all alerts shown after the burst (ms; goal 1000)').toBeLessThan(2000);
    // Nothing lost: the pinned critical alerts are all in the inbox, and the toasts do not pile up.
    expect(await page.getByTestId('toast').count()).toBeLessThanOrEqual(4);
    expect(await textOf(page, 'unread-count')).toBe(String(before + COUNT));
    await ctx.close();
  });

  it('loads the sign-in and dashboard pages with under 100 KB of gzipped JS, other pages on demand', async () => {
    const ctx = await h.newContext({ viewport: WIDE });
    const page = await ctx.newPage();
    const scripts = new Map<string, Promise<Buffer>>();
    page.on('response', (response) => {
      if (response.request().resourceType() === 'script' && response.status() === 200) {
        scripts.set(
          response.url(),
          response.body().catch(() => Buffer.alloc(0)),
        );
      }
    });
    await page.goto(h.server.url);
    await page.getByLabel('Username').fill('admin');
    await page.getByLabel('Password').fill(ADMIN_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await waitForStatus(page, 'connected');
    await page.getByTestId('stat-people-value').filter({ hasText: '2' }).waitFor();
    const bodies = await Promise.all(scripts.values());
    const raw = bodies.reduce((sum, b) => sum + b.length, 0);
    const gzipped = bodies.reduce((sum, b) => sum + zlib.gzipSync(b, { level: 9 }).length, 0);
    const js = Buffer.concat(bodies).toString('utf8');

    // Time to interactive, from navigation start to the first statistic on screen (signed in).
    await page.goto(h.server.url);
    await page.waitForFunction(
      () => /^\d/.test(document.querySelector('[data-testid="stat-people-value"]')?.textContent ?? ''),
      null,
      {
        polling: 'raf',
      },
    );
    const tti = await page.evaluate(() => performance.now());
    console.log(
      `[dashboard weight] ${scripts.size} JS files, ${(raw / 1024).toFixed(1)} KB raw, ${(gzipped / 1024).toFixed(1)} KB gzipped; ` +
        `first statistic rendered ${tti.toFixed(0)} ms after navigation start`,
    );
    expect(gzipped).toBeLessThan(100 * 1024);
    // The admin and people pages are not in the first load (they come with their route).
    expect(js).not.toContain('Send broadcast');
    expect(js).not.toContain('Full name');
    // And they do load when visited.
    await page.getByRole('link', { name: 'People', exact: true }).click();
    await page.getByRole('heading', { name: 'People', level: 1 }).waitFor();
    await ctx.close();
  }, 60_000);
});
