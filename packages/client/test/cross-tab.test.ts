/**
 * One connection per browser (issue 13), in Chromium: ten tabs of one user with `shareConnection`
 * use one WebSocket (GET /api/ws/status), and closing the leader tab loses and repeats nothing:
 * another tab takes over within 2 s and resumes from the last event id. The pages come from the
 * server's own origin (intercepted routes), so Web Locks and BroadcastChannel span them.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../server/src/testing.js';
import { OpenEyeApi } from '../src/index.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const TABS = 10;

/** What each tab's page puts on window. */
interface Tab {
  client: { getTabRole(): string | null; getStatus(): string };
  events: string[];
}

async function bundle(): Promise<string> {
  const out = await build({
    entryPoints: [path.join(here, '../src/index.ts')],
    bundle: true,
    format: 'iife',
    globalName: 'OpenEye',
    write: false,
    conditions: ['source'],
    platform: 'browser',
    target: 'es2022',
    logLevel: 'silent',
  });
  return out.outputFiles[0]!.text;
}

/** The page of one tab: a shared client that records every event it is given. */
const PAGE = `<!doctype html><script src="/tab.js"></script><script>
  window.events = [];
  window.statuses = [];
  const client = new OpenEye.OpenEyeClient({
    getToken: () => localStorage.getItem('token'),
    shareConnection: true,
    eventTypes: ['statistics_update', 'camera_event', 'alert', 'alert_update'],
  });
  for (const type of ['camera_event', 'alert', 'alert_update']) client.on(type, (m) => window.events.push(m.id));
  client.on('status_change', (s) => window.statuses.push(s.status));
  window.client = client;
  client.connect();
</script>`;

describe('one connection shared by the tabs of a browser (Chromium)', () => {
  let server: TestServer;
  let browser: Browser;
  let context: BrowserContext;
  let script: string;

  beforeAll(async () => {
    if (!fs.existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}; set CHROMIUM_PATH`);
    [server, script] = await Promise.all([startTestServer(), bundle()]);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        '--disable-features=LocalNetworkAccessChecks',
        // Background tabs keep their timers (the test has ten tabs, one visible at a time).
        '--disable-background-timer-throttling',
        '--disable-renderer-backgrounding',
      ],
    });
  });
  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await server?.close();
  });

  it('ten tabs use one connection; closing the leader loses and repeats no event', async () => {
    const token = await server.tokenFor('tabs-user');
    const me = new OpenEyeApi({ baseUrl: server.url, getToken: () => token });
    const admin = new OpenEyeApi({ baseUrl: server.url, getToken: () => server.adminToken });
    context = await browser.newContext();
    await context.route(`${server.url}/tab.html`, (route) => route.fulfill({ contentType: 'text/html', body: PAGE }));
    await context.route(`${server.url}/tab.js`, (route) =>
      route.fulfill({ contentType: 'text/javascript', body: script }),
    );
    await context.addInitScript((t) => localStorage.setItem('token', t), token);
    const pages: Page[] = [];
    for (let i = 0; i < TABS; i++) {
      const page = await context.newPage();
      await page.goto(`${server.url}/tab.html`);
      pages.push(page);
    }
    const roles = async () =>
      Promise.all(pages.map((p) => p.evaluate(() => (window as unknown as Tab).client.getTabRole())));
    const statuses = async () =>
      Promise.all(pages.map((p) => p.evaluate(() => (window as unknown as Tab).client.getStatus())));
    await expect.poll(statuses, { timeout: 10_000 }).toEqual(Array(TABS).fill('connected'));
    expect((await roles()).filter((r) => r === 'leader')).toHaveLength(1);
    // The per-user limit (5) counts this browser once.
    expect((await me.wsStatus()).user_connections).toBe(1);

    const posted: string[] = [];
    const post = async (i: number) => {
      const alert = await admin.createAlert({ alert_type: 'info', message: `tab test ${i}` });
      posted.push(alert.id);
      const acked = await me.acknowledgeAlert(alert.id, 1);
      expect(acked.state).toBe('acknowledged');
    };
    for (let i = 0; i < 3; i++) await post(i);
    const received = async (p: Page): Promise<string[]> => p.evaluate(() => (window as unknown as Tab).events);
    await expect.poll(async () => (await received(pages[TABS - 1]!)).length, { timeout: 5000 }).toBe(6);

    // Close the leader while events keep coming.
    const leaderIndex = (await roles()).indexOf('leader');
    const leader = pages[leaderIndex]!;
    pages.splice(leaderIndex, 1);
    const closing = leader.close();
    const closedAt = Date.now();
    for (let i = 3; i < 8; i++) await post(i);
    await closing;
    await expect.poll(async () => (await roles()).filter((r) => r === 'leader').length, { timeout: 2000 }).toBe(1);
    const tookOver = Date.now() - closedAt;
    expect(tookOver).toBeLessThan(2000 + 1000);
    await expect.poll(statuses, { timeout: 5000 }).toEqual(Array(TABS - 1).fill('connected'));
    for (let i = 8; i < 10; i++) await post(i);

    // Every remaining tab: every alert and every acknowledgement, once each, in id order.
    const history = await me.events({
      after: String(Number(posted[0]) - 1),
      limit: 1000,
      types: ['alert', 'alert_update'],
    });
    const expected = history.events.map((e) => e.id);
    expect(expected).toHaveLength(20);
    for (const page of pages) {
      await expect.poll(async () => (await received(page)).length, { timeout: 5000 }).toBe(20);
      expect(await received(page)).toEqual(expected);
    }
    await expect.poll(async () => (await me.wsStatus()).user_connections, { timeout: 5000 }).toBe(1);
    await context.close();
  }, 90_000);

  it('a stuck leader keeps its lock: a follower takes over after missed heartbeats; the old leader steps down', async () => {
    const token = await server.tokenFor('frozen-user');
    const me = new OpenEyeApi({ baseUrl: server.url, getToken: () => token });
    const admin = new OpenEyeApi({ baseUrl: server.url, getToken: () => server.adminToken });
    context = await browser.newContext();
    await context.route(`${server.url}/tab.html`, (route) => route.fulfill({ contentType: 'text/html', body: PAGE }));
    await context.route(`${server.url}/tab.js`, (route) =>
      route.fulfill({ contentType: 'text/javascript', body: script }),
    );
    await context.addInitScript((t) => localStorage.setItem('token', t), token);
    const first = await context.newPage();
    await first.goto(`${server.url}/tab.html`);
    await expect.poll(() => first.evaluate(() => (window as unknown as Tab).client.getTabRole())).toBe('leader');
    const second = await context.newPage();
    await second.goto(`${server.url}/tab.html`);
    await expect.poll(() => second.evaluate(() => (window as unknown as Tab).client.getStatus())).toBe('connected');
    expect(await second.evaluate(() => (window as unknown as Tab).client.getTabRole())).toBe('follower');

    // The leader's page stops running (a busy main thread: no timer, no heartbeat) but keeps its lock,
    // as a frozen or suspended tab does.
    const stuck = first.evaluate(() => {
      const until = Date.now() + 9000;
      while (Date.now() < until) {
        // busy
      }
    });
    const frozenAt = Date.now();
    await expect
      .poll(() => second.evaluate(() => (window as unknown as Tab).client.getTabRole()), { timeout: 10_000 })
      .toBe('leader');
    expect(Date.now() - frozenAt).toBeGreaterThanOrEqual(4000);
    await expect.poll(() => second.evaluate(() => (window as unknown as Tab).client.getStatus())).toBe('connected');
    const alert = await admin.createAlert({ alert_type: 'warning', message: 'while frozen' });
    await expect
      .poll(() => second.evaluate(() => (window as unknown as Tab).events), { timeout: 5000 })
      .toContain(alert.id);

    // Running again, the old leader finds its lock taken and becomes a follower; its socket closes.
    await stuck;
    await expect
      .poll(() => first.evaluate(() => (window as unknown as Tab).client.getTabRole()), { timeout: 5000 })
      .toBe('follower');
    await expect.poll(async () => (await me.wsStatus()).user_connections, { timeout: 5000 }).toBe(1);
    const after = await admin.createAlert({ alert_type: 'info', message: 'after the thaw' });
    for (const page of [first, second]) {
      await expect
        .poll(() => page.evaluate(() => (window as unknown as Tab).events), { timeout: 5000 })
        .toContain(after.id);
    }
  }, 60_000);
});
