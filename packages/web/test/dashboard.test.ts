/**
 * The dashboard in a real browser (Debian's Chromium driven by playwright-core) against the real
 * server in-process. The app is built with Vite into a temporary directory first and served by
 * the server from there (OPENEYE_WEB_ROOT), so the run never touches packages/web/dist.
 *
 * Connection tuning for the fallback test comes from localStorage `openeye.client` (see
 * src/lib/services.ts): fast backoff and polling, so it takes seconds, not minutes.
 * The screenshot step writes to a temporary directory, removed afterwards, so `npm test` changes no
 * tracked file; `npm run screenshots` sets OPENEYE_SCREENSHOTS_DIR=docs/screenshots to refresh the
 * documentation's pictures with this very run.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../../../test/support/browser.js';
import { ADMIN_PASSWORD, startTestServer, type TestServer } from '../../server/src/testing.js';

const webDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const rootDir = path.resolve(webDir, '../..');
const keptShotsDir = process.env.OPENEYE_SCREENSHOTS_DIR;
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };

const CLIENT_TUNING = {
  pollIntervalMs: 400,
  pollingAfterFailures: 2,
  backoff: { baseMs: 150, capMs: 800 },
  connectTimeoutMs: 3000,
};

let outDir: string;
let shotsDir: string;
let server: TestServer;
let browser: Browser;
let context: BrowserContext;
let page: Page;
const extraContexts: BrowserContext[] = [];
const ids = { cameras: [] as number[], people: [] as number[] };

async function rest<T = unknown>(method: string, route: string, body?: unknown, token = server.adminToken): Promise<T> {
  const res = await fetch(server.url + route, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? null : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${route}: ${res.status} ${text}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

async function newContext(
  options: { viewport?: { width: number; height: number }; scale?: number; storage?: Record<string, string> } = {},
) {
  const ctx = await browser.newContext({
    viewport: options.viewport ?? DESKTOP,
    deviceScaleFactor: options.scale ?? 1,
    colorScheme: 'dark',
    reducedMotion: 'reduce',
  });
  const storage = { 'openeye.client': JSON.stringify(CLIENT_TUNING), ...options.storage };
  await ctx.addInitScript((entries: Record<string, string>) => {
    // Only on first load of the origin: later navigations keep what the app stored.
    try {
      if (sessionStorage.getItem('openeye.test-init')) return;
      sessionStorage.setItem('openeye.test-init', '1');
      for (const [key, value] of Object.entries(entries)) localStorage.setItem(key, value);
    } catch {
      // about:blank has no storage
    }
  }, storage);
  return ctx;
}

async function textOf(p: Page, testId: string): Promise<string> {
  return (await p.getByTestId(testId).textContent())?.trim() ?? '';
}

async function waitForStatus(p: Page, status: string, timeout = 10_000): Promise<void> {
  await p.locator(`[data-testid="connection-status"][data-status="${status}"]`).waitFor({ timeout });
}

async function signIn(p: Page, username: string, password: string): Promise<void> {
  await p.getByLabel('Username').fill(username);
  await p.getByLabel('Password').fill(password);
  await p.getByRole('button', { name: 'Sign in' }).click();
}

async function shot(p: Page, name: string): Promise<void> {
  await p.evaluate(() => document.fonts.ready);
  await p.screenshot({ path: path.join(shotsDir, name), animations: 'disabled', caret: 'hide' });
}

beforeAll(async () => {
  outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'openeye-web-'));
  shotsDir = keptShotsDir
    ? path.resolve(rootDir, keptShotsDir)
    : fs.mkdtempSync(path.join(os.tmpdir(), 'openeye-screenshots-'));
  fs.mkdirSync(shotsDir, { recursive: true });
  const previousEnv = process.env.NODE_ENV;
  process.env.NODE_ENV = 'production';
  try {
    await build({
      root: webDir,
      configFile: path.join(webDir, 'vite.config.ts'),
      mode: 'production',
      logLevel: 'warn',
      build: { outDir, emptyOutDir: true, sourcemap: false },
    });
  } finally {
    process.env.NODE_ENV = previousEnv;
  }
  server = await startTestServer({ env: { OPENEYE_BROADCAST_INTERVAL_MS: '1000', OPENEYE_WEB_ROOT: outDir } });
  browser = await launchChromium(['--disable-quic']);
  context = await newContext();
  page = await context.newPage();

  for (const [name, location] of [
    ['Front door', 'Entrance'],
    ['Parking lot', 'Outside, north'],
    ['Lobby', 'Ground floor'],
    ['Warehouse', 'Building B'],
  ]) {
    ids.cameras.push(
      (await rest<{ id: number }>('POST', '/api/cameras', { name, location, recording: name !== 'Lobby' })).id,
    );
  }
  for (const name of ['Ada Lovelace', 'Alan Turing', 'Grace Hopper', 'Edsger Dijkstra', 'Barbara Liskov']) {
    ids.people.push((await rest<{ id: number }>('POST', '/api/people', { name })).id);
  }
}, 120_000);

afterAll(async () => {
  for (const ctx of extraContexts) await ctx.close().catch(() => {});
  await context?.close().catch(() => {});
  await browser?.close().catch(() => {});
  await server?.close();
  if (outDir) fs.rmSync(outDir, { recursive: true, force: true });
  if (shotsDir && !keptShotsDir) fs.rmSync(shotsDir, { recursive: true, force: true });
});

describe('dashboard in a browser', () => {
  it('says clearly when the credentials are wrong', async () => {
    await page.goto(server.url);
    await signIn(page, 'admin', 'not-the-password');
    const error = page.getByTestId('login-error');
    await error.waitFor();
    expect(await error.textContent()).toContain('Wrong username or password');
    expect(await page.evaluate(() => localStorage.getItem('token'))).toBeNull();
  });

  it('says clearly when the server cannot be reached', async () => {
    await page.route('**/api/auth/login', (route) => route.abort('connectionrefused'));
    await signIn(page, 'admin', ADMIN_PASSWORD);
    await page.getByText('Cannot reach the OpenEye server').waitFor();
    await page.unroute('**/api/auth/login');
  });

  it('signs in, stores the token and shows the numbers live', async () => {
    await signIn(page, 'admin', ADMIN_PASSWORD);
    await waitForStatus(page, 'connected');
    expect(await page.evaluate(() => localStorage.getItem('token'))).toMatch(/^ey/);
    await page.waitForFunction(() => document.querySelector('[data-testid="stat-people-value"]')?.textContent === '5');
    expect(await textOf(page, 'stat-cameras-total')).toBe('4');
    expect(await textOf(page, 'stat-cameras-active')).toBe('4');
    expect(await textOf(page, 'stat-cameras-recording')).toBe('3');
    expect(await textOf(page, 'stat-recognitions-value')).toBe('0');
    expect(await page.getByTestId('connection-status').textContent()).toContain('Live');
  });

  it('shows a recognition posted through the REST API within a second', async () => {
    const before = await textOf(page, 'stat-recognitions-value');
    await rest('POST', '/api/recognitions', { camera_id: ids.cameras[0], person_id: ids.people[2], confidence: 0.97 });
    const posted = Date.now();
    await page.waitForFunction(
      (prev) => document.querySelector('[data-testid="stat-recognitions-value"]')?.textContent !== prev,
      before,
      { timeout: 1000 },
    );
    expect(Date.now() - posted).toBeLessThan(1000);
    expect(await textOf(page, 'stat-recognitions-value')).toBe(String(Number(before) + 1));
    await page.getByTestId('feed').getByText('Grace Hopper recognized').waitFor({ timeout: 1000 });
    expect(await textOf(page, 'stat-last-value')).toMatch(/just now|s ago/);
    // The chart counts it in the current minute (it may draw a moment after the card).
    await page.locator('[data-testid="recognition-chart"] .bar-recognized').first().waitFor({ timeout: 5000 });
  });

  it('shows an alert as a toast, by severity', async () => {
    await rest('POST', '/api/alerts', {
      alert_type: 'critical',
      message: 'Smoke detected in the warehouse',
      camera_id: ids.cameras[3],
    });
    const toast = page.getByTestId('toast').filter({ hasText: 'Smoke detected in the warehouse' });
    await toast.waitFor({ timeout: 2000 });
    expect(await toast.getAttribute('data-severity')).toBe('critical');
    // Announced through the persistent assertive live region (not a new role=alert node per toast).
    expect(await page.getByTestId('alerts-live-critical').textContent()).toContain('Smoke detected in the warehouse');
    expect(await toast.textContent()).toContain('Warehouse');
    await toast.getByRole('button', { name: 'Dismiss alert' }).click();
    await toast.waitFor({ state: 'detached' });
  });

  it('filters the feed by camera and by type', async () => {
    await rest('POST', `/api/cameras/${ids.cameras[1]}/events`, { event_type: 'motion_detected', data: { zone: 2 } });
    const feed = page.getByTestId('feed');
    await feed.getByText('Motion detected').waitFor();
    await page.getByTestId('feed-type').selectOption('motion');
    expect(await feed.locator('li').count()).toBe(1);
    await page.getByTestId('feed-type').selectOption('all');
    await page.getByTestId('feed-camera').selectOption(String(ids.cameras[0]));
    expect(await feed.getByText('Grace Hopper recognized').count()).toBe(1);
    expect(await feed.getByText('Motion detected').count()).toBe(0);
    await page.getByTestId('feed-camera').selectOption('all');
  });

  it('falls back to polling when the WebSocket endpoint is off, and goes live again', async () => {
    server.setWebSocketEnabled(false);
    await waitForStatus(page, 'polling', 10_000);
    // "Polling" shows once a poll has succeeded (before that the page says it is reconnecting).
    await page.locator('[data-testid="connection-status"][data-state="polling"]').waitFor({ timeout: 10_000 });
    expect(await page.getByTestId('connection-status').textContent()).toContain('Polling');

    const before = Number(await textOf(page, 'stat-recognitions-value'));
    await rest('POST', '/api/recognitions', { camera_id: ids.cameras[1], person_id: ids.people[0], confidence: 0.9 });
    await page.waitForFunction(
      (want) => document.querySelector('[data-testid="stat-recognitions-value"]')?.textContent === want,
      String(before + 1),
      { timeout: 5000 },
    );
    // Events keep arriving too (from GET /api/events), and the page still says Polling.
    await page.getByTestId('feed').getByText('Ada Lovelace recognized').waitFor({ timeout: 5000 });
    expect(await page.getByTestId('connection-status').getAttribute('data-status')).toBe('polling');

    server.setWebSocketEnabled(true);
    await waitForStatus(page, 'connected', 10_000);
    expect(await page.getByTestId('connection-status').textContent()).toContain('Live');
  }, 60_000);

  it('navigates by keyboard and without reloading', async () => {
    await page.reload();
    await waitForStatus(page, 'connected');
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Skip to content');
    await page.getByRole('link', { name: 'Cameras', exact: true }).click();
    await page.getByRole('heading', { name: 'Cameras', level: 1 }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/cameras');
    expect(await page.getByTestId('connection-status').getAttribute('data-status')).toBe('connected');
    await page.goBack();
    await page.getByRole('heading', { name: 'Dashboard', level: 1 }).waitFor();
  });

  it('shows camera status live and lets an admin add, edit and delete cameras', async () => {
    await page.getByRole('link', { name: 'Cameras', exact: true }).click();
    const table = page.getByTestId('cameras-table');
    await table.getByText('Warehouse').waitFor();

    // Live status: a change made elsewhere shows up without a reload.
    await rest('PATCH', `/api/cameras/${ids.cameras[3]}`, { active: false });
    await table
      .locator(`tr[data-camera-id="${ids.cameras[3]}"] [data-testid="camera-status"]`)
      .filter({ hasText: 'Offline' })
      .waitFor({ timeout: 3000 });

    await page.getByRole('button', { name: 'Add camera' }).click();
    await page.getByLabel('Name').fill('Loading dock');
    await page.getByLabel(/Location/).fill('Building B, rear');
    await page.getByRole('dialog').getByRole('button', { name: 'Add camera' }).click();
    await table.getByText('Loading dock').waitFor();

    await page.getByRole('button', { name: 'Edit Loading dock' }).click();
    await page.getByLabel('Name').fill('Loading bay');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await table.getByText('Loading bay').waitFor();

    await page.getByRole('button', { name: 'Delete Loading bay' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete camera' }).click();
    await table.getByText('Loading bay').waitFor({ state: 'detached' });
    const cameras = await rest<{ name: string }[]>('GET', '/api/cameras');
    expect(cameras.map((c) => c.name)).not.toContain('Loading bay');
  }, 60_000);

  it('lists, adds and deletes people', async () => {
    await page.getByRole('link', { name: 'People', exact: true }).click();
    const table = page.getByTestId('people-table');
    await table.getByText('Grace Hopper').waitFor();
    await page.getByLabel('Full name').fill('Margaret Hamilton');
    await page.getByRole('button', { name: 'Add person' }).click();
    await table.getByText('Margaret Hamilton').waitFor();
    await page.getByRole('link', { name: 'Dashboard', exact: true }).click();
    await page.waitForFunction(() => document.querySelector('[data-testid="stat-people-value"]')?.textContent === '6');
    await page.getByRole('link', { name: 'People', exact: true }).click();
    await page.getByRole('button', { name: 'Delete Margaret Hamilton' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
    await table.getByText('Margaret Hamilton').waitFor({ state: 'detached' });
  });

  it('shows connections per user, presence, and sends a broadcast', async () => {
    // Two operators watch particular cameras from their own browsers.
    const watchers: [string, number[]][] = [
      ['operator', [ids.cameras[0]!, ids.cameras[2]!]],
      ['night-shift', [ids.cameras[1]!]],
    ];
    for (const [username, watch] of watchers) {
      const token = await server.tokenFor(username, 'viewer');
      const ctx = await newContext({ storage: { token, 'openeye.watch': JSON.stringify(watch) } });
      extraContexts.push(ctx);
      const p = await ctx.newPage();
      await p.goto(server.url);
      await waitForStatus(p, 'connected');
      // A viewer sees no admin page and no editing controls.
      expect(await p.getByRole('link', { name: 'Admin', exact: true }).count()).toBe(0);
      await p.getByRole('link', { name: 'Cameras', exact: true }).click();
      await p.getByTestId('cameras-table').getByText('Front door').waitFor();
      expect(await p.getByRole('button', { name: 'Add camera' }).count()).toBe(0);
      expect(await p.getByRole('button', { name: 'Edit Front door' }).count()).toBe(0);
    }

    await page.getByRole('link', { name: 'Admin', exact: true }).click();
    const connections = page.getByTestId('connections-table');
    await connections.getByText('night-shift').waitFor({ timeout: 5000 });
    await connections.getByText('operator').waitFor();
    const presence = page.getByTestId('presence');
    await presence.getByText('Front door').waitFor({ timeout: 5000 });
    await presence.getByText('Parking lot').waitFor();
    expect(await textOf(page, 'admin-users-value')).toBe('3');

    await page.getByLabel('Message').fill('Fire drill at 15:00, please stay at your posts.');
    await page.getByRole('radio', { name: 'Warning' }).check();
    await page.getByRole('button', { name: 'Send broadcast' }).click();
    const toast = page.getByTestId('toast').filter({ hasText: 'Fire drill at 15:00' });
    await toast.waitFor({ timeout: 2000 });
    expect(await toast.getAttribute('data-severity')).toBe('warning');
    expect(await toast.textContent()).toContain('Broadcast by admin');
    await toast.getByRole('button', { name: 'Dismiss alert' }).click();
  }, 60_000);

  it('switches between dark and light themes and remembers the choice', async () => {
    const before = await page.evaluate(() => document.documentElement.dataset.theme);
    await page.getByTestId('theme-toggle').click();
    const after = await page.evaluate(() => document.documentElement.dataset.theme);
    expect(after).not.toBe(before);
    expect(await page.evaluate(() => localStorage.getItem('openeye.theme'))).toBe(after);
    await page.getByTestId('theme-toggle').click();
    expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe(before);
  });

  it('shows a banner when a resume gap means some events may be missing', async () => {
    // The server says its history no longer reaches the client's cursor (welcome with resumed: false).
    // A browser of its own: a second tab here would share the first tab's connection (shareConnection).
    const ctx = await newContext({ storage: { token: server.adminToken } });
    extraContexts.push(ctx);
    const p = await ctx.newPage();
    await p.routeWebSocket(/\/api\/ws\/statistics/, (ws) => {
      const upstream = ws.connectToServer();
      upstream.onMessage((message) => {
        const data = JSON.parse(String(message));
        if (data.type === 'connection_status') data.resumed = false;
        ws.send(JSON.stringify(data));
      });
    });
    await p.goto(server.url);
    const banner = p.getByTestId('gap-banner');
    await banner.waitFor({ timeout: 5000 });
    expect(await banner.textContent()).toContain('Some events may be missing');
    await banner.getByRole('button', { name: 'Reload history' }).click();
    await banner.waitFor({ state: 'detached' });
    await ctx.close();
  });

  it('takes screenshots of the dashboard, cameras and admin pages (kept by npm run screenshots)', async () => {
    // An hour of history, so the chart has something to show.
    const now = Date.now();
    let seedValue = 7;
    const random = () => {
      seedValue = (seedValue * 16807) % 2147483647;
      return seedValue / 2147483647;
    };
    const posts: Promise<unknown>[] = [];
    for (let minute = 59; minute >= 1; minute--) {
      const wave = 2 + 2.2 * Math.sin(minute / 7) + 1.5 * Math.sin(minute / 2.3);
      const known = Math.max(0, Math.round(wave + random() * 2));
      const unknown = random() < 0.3 ? 1 + Math.floor(random() * 2) : 0;
      for (let i = 0; i < known + unknown; i++) {
        const occurred = new Date(now - minute * 60_000 + Math.floor(random() * 55_000)).toISOString();
        posts.push(
          rest('POST', '/api/recognitions', {
            camera_id: ids.cameras[Math.floor(random() * 4)],
            person_id: i < known ? ids.people[Math.floor(random() * ids.people.length)] : null,
            confidence: 0.78 + random() * 0.2,
            occurred_at: occurred,
          }),
        );
      }
    }
    await Promise.all(posts);
    await rest('POST', '/api/cameras', { name: 'Server room', location: 'Basement', recording: true });
    const dock = await rest<{ id: number }>('POST', '/api/cameras', {
      name: 'Loading dock',
      location: 'Building B, rear',
    });
    await rest('PATCH', `/api/cameras/${dock.id}`, { active: false });
    await rest('PATCH', `/api/cameras/${ids.cameras[3]}`, { active: true });
    await rest('POST', `/api/cameras/${ids.cameras[2]}/events`, { event_type: 'motion_detected', data: { zone: 3 } });
    await rest('POST', '/api/recognitions', { camera_id: ids.cameras[2], person_id: ids.people[1], confidence: 0.94 });

    await page.goto(server.url);
    await waitForStatus(page, 'connected');
    await page.locator('[data-testid="recognition-chart"] .bar-recognized').nth(20).waitFor();
    await rest('POST', '/api/recognitions', { camera_id: ids.cameras[0], person_id: null, confidence: 0.61 });
    await page.getByTestId('toast').first().waitFor();
    await page.mouse.move(0, 0);
    await shot(page, 'dashboard.png');

    // Dismissing one toast can reveal another that waited behind "+N more": dismiss until none is left.
    const dismiss = page.getByRole('button', { name: 'Dismiss alert' });
    // (A toast can also leave by itself between the count and the click: then there is nothing to click.)
    for (let i = 0; i < 20 && (await dismiss.count()) > 0; i++) {
      await dismiss
        .first()
        .click({ timeout: 2000 })
        .catch(() => {});
    }
    await page.getByRole('link', { name: 'Cameras', exact: true }).click();
    await page.getByTestId('cameras-table').getByText('Warehouse').waitFor();
    // The admin watches the lobby: a filled star here, and one more watcher in presence.
    await page.getByRole('button', { name: 'Watch Lobby' }).click();
    await page.mouse.move(0, 0);
    await page.locator('body').click({ position: { x: 5, y: 600 } });
    await shot(page, 'cameras.png');

    await page.getByRole('link', { name: 'Admin', exact: true }).click();
    await page.getByTestId('presence').getByText('Front door').waitFor({ timeout: 5000 });
    await page.getByLabel('Message').fill('Fire drill at 15:00, please stay at your posts.');
    await page.locator('body').click({ position: { x: 5, y: 300 } });
    await shot(page, 'admin.png');
    await page.getByRole('link', { name: 'Cameras', exact: true }).click();
    await page.getByRole('button', { name: 'Watch Lobby' }).click();

    await page.getByRole('link', { name: 'History', exact: true }).click();
    await page.locator('section.history-list[aria-busy="false"]').waitFor();
    await page.getByTestId('history-row').first().click();
    await page.getByTestId('event-detail').waitFor();
    await page.mouse.move(0, 0);
    await shot(page, 'history.png');

    await page.getByRole('link', { name: 'Dashboard', exact: true }).click();
    await page.locator('[data-testid="recognition-chart"] .bar-recognized').nth(20).waitFor();
    await page.getByTestId('alerts-button').click();
    await page.getByTestId('alert-inbox').waitFor();
    await page.mouse.move(0, 0);
    await shot(page, 'alerts.png');
    await page.keyboard.press('Escape');

    await page.getByTestId('theme-toggle').click();
    await page.getByRole('link', { name: 'Dashboard', exact: true }).click();
    await page.locator('[data-testid="recognition-chart"] .bar-recognized').nth(20).waitFor();
    await shot(page, 'dashboard-light.png');
    await page.getByTestId('theme-toggle').click();

    const token = await page.evaluate(() => localStorage.getItem('token'));
    const phone = await newContext({ viewport: PHONE, scale: 2, storage: { token: token ?? '' } });
    extraContexts.push(phone);
    const mobile = await phone.newPage();
    await mobile.goto(server.url);
    await waitForStatus(mobile, 'connected');
    await mobile.locator('[data-testid="recognition-chart"] .bar-recognized').nth(20).waitFor();
    // Nothing wider than the screen: no sideways scrolling at phone width.
    expect(await mobile.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(PHONE.width);
    await shot(mobile, 'dashboard-mobile.png');

    for (const name of [
      'dashboard.png',
      'cameras.png',
      'admin.png',
      'history.png',
      'alerts.png',
      'dashboard-light.png',
      'dashboard-mobile.png',
    ]) {
      expect(fs.statSync(path.join(shotsDir, name)).size).toBeGreaterThan(10_000);
    }
  }, 60_000);

  it('signs out: the token is cleared and the socket closed', async () => {
    const connectionsBefore = (await rest<{ user_connections: number }>('GET', '/api/ws/status')).user_connections;
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    expect(await page.evaluate(() => localStorage.getItem('token'))).toBeNull();
    await expect
      .poll(async () => (await rest<{ user_connections: number }>('GET', '/api/ws/status')).user_connections, {
        timeout: 5000,
      })
      .toBe(connectionsBefore - 1);
  });
});
