/**
 * Kiosk screens (issue 15): an admin makes a wall screen's sign-in link in the dashboard; the
 * screen opened with it (another browser) signs in with its key, which never leaves the fragment
 * for the server, shows live data read-only, comes back by itself after the server restarts, keeps
 * trying after a refusal while the server cannot say whether the key is good, and says plainly
 * that its key was revoked once it is, then stops trying.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, tempDir } from '../../server/src/testing.js';
import { seriousViolations } from './axe.js';
import { type Harness, startHarness, waitForStatus } from './support.js';

let h: Harness;
let dataDir: string;
let admin: Page;
let wall: Page;
let link: string;
let cameraId: number;

async function waitForState(p: Page, want: string, timeout = 15_000): Promise<void> {
  await p.locator(`[data-testid="connection-status"][data-state="${want}"]`).waitFor({ timeout });
}

async function raise(message: string): Promise<void> {
  await h.rest('POST', '/api/alerts', { alert_type: 'critical', message, camera_id: cameraId });
}

beforeAll(async () => {
  dataDir = tempDir('openeye-web-kiosk-');
  h = await startHarness({ server: { dataDir } });
  cameraId = (await h.rest<{ id: number }>('POST', '/api/cameras', { name: 'Lobby door', location: 'Lobby' })).id;
  admin = await h.signedInPage({ path: '/admin' });
  admin.on('dialog', (d) => void d.accept());
}, 120_000);

afterAll(async () => {
  await h?.close();
});

describe('a kiosk screen with its own key', () => {
  it('is made by an admin in the dashboard: a sign-in link shown once', async () => {
    const panel = admin.getByTestId('kiosk-screens');
    await panel.getByRole('button', { name: 'New kiosk screen' }).click();
    const dialog = admin.getByRole('dialog');
    await dialog.getByLabel('Screen').fill('Lobby wall');
    await dialog.getByRole('button', { name: 'Create screen' }).click();
    link = await dialog.getByTestId('kiosk-link').inputValue();
    expect(link).toMatch(/\/kiosk#key=oek_[a-z0-9]{12}_[A-Za-z0-9_-]{43}$/);
    expect(await dialog.getByRole('link', { name: "Open this screen's sign-in link" }).getAttribute('href')).toBe(link);
    await dialog.getByRole('button', { name: 'Done' }).click();
    await panel.getByTestId('kiosk-screen').filter({ hasText: 'Lobby wall' }).waitFor();
    // A viewer account of its own, and not among the machines' API keys.
    expect(await panel.getByTestId('kiosk-screen').textContent()).toContain('kiosk-lobby-wall');
    expect(await admin.getByTestId('api-keys').textContent()).not.toContain('Lobby wall');
  }, 30_000);

  it('signs the wall in from the link, keeps the key out of the address bar and the server logs', async () => {
    const ctx = await h.newContext();
    wall = await ctx.newPage();
    // While `refuseSockets` is set on the page, its sockets carry a bad `token` in the URL, which the
    // server reads before the key in the first message: refused 1008 Invalid token, for real.
    await wall.addInitScript(() => {
      const w = window as unknown as { WebSocket: typeof WebSocket; refuseSockets?: boolean };
      w.WebSocket = new Proxy(w.WebSocket, {
        construct(target, [url, protocols]: [string, string[] | undefined]) {
          const u = new URL(url);
          if (w.refuseSockets) u.searchParams.set('token', 'refused-by-the-test');
          return new target(u.toString(), protocols);
        },
      });
    });
    await wall.goto(link);
    await wall.getByTestId('kiosk').waitFor();
    await waitForStatus(wall, 'connected');
    expect(wall.url()).toBe(`${h.server.url}/kiosk`);
    const key = link.slice(link.indexOf('#key=') + 5);
    expect(await wall.evaluate(() => localStorage.getItem('openeye.kiosk_key'))).toBe(key);
    expect(await wall.evaluate(() => localStorage.getItem('token'))).toBeNull();
    const secret = key.split('_')[2]!;
    expect(h.server.logs.some((line) => line.includes(secret))).toBe(false);
    // Nothing to sign out of, but a discreet way to forget the key.
    expect(await wall.getByRole('button', { name: 'Sign out' }).count()).toBe(0);
    expect(await wall.getByRole('button', { name: "Forget this screen's key" }).count()).toBe(1);
  }, 30_000);

  it('shows live data read-only: no alert actions that the server would refuse', async () => {
    await wall.getByTestId('stat-cameras-kiosk').filter({ hasText: '/ 1' }).waitFor();
    await raise('Door forced at the lobby');
    const toast = wall.getByTestId('toast').filter({ hasText: 'Door forced at the lobby' });
    await toast.waitFor();
    const row = wall.getByTestId('feed-row').filter({ hasText: 'Door forced at the lobby' });
    await row.waitFor();
    expect(await toast.getByRole('button', { name: /Acknowledge|Resolve|Details/ }).count()).toBe(0);
    expect(await row.getByRole('button').count()).toBe(0);
    // Clicking a row does not take the wall elsewhere.
    await row.click();
    expect(new URL(wall.url()).pathname).toBe('/kiosk');
    // Accessible as the other pages are (a11y.test.ts): nothing serious or critical for axe.
    expect(await seriousViolations(wall)).toEqual([]);
  }, 30_000);

  it('comes back by itself after the server restarts', async () => {
    const port = h.server.port;
    await h.server.close();
    await waitForState(wall, 'offline');
    h.server = await startTestServer({
      port,
      dataDir,
      env: { OPENEYE_BROADCAST_INTERVAL_MS: '1000', OPENEYE_WEB_ROOT: h.outDir },
    });
    await waitForState(wall, 'live', 20_000);
    await raise('Back after the restart');
    await wall.getByTestId('feed-row').filter({ hasText: 'Back after the restart' }).waitFor();
  }, 60_000);

  it('keeps trying after a refusal while the server cannot say whether its key is good', async () => {
    // From now on the screen's sockets are refused (1008 Invalid token) and the server cannot say
    // whether the key is good (503): not a revocation, so the screen must not give up.
    await wall.evaluate(() => {
      (window as unknown as { refuseSockets: boolean }).refuseSockets = true;
    });
    let asked = 0;
    await wall.route('**/api/users/me', (route) => {
      asked++;
      return route.fulfill({ status: 503, contentType: 'application/json', body: '{"error":"unavailable"}' });
    });
    // A new password for the screen's account ends its open sockets (1008) but not its key.
    const users = await h.rest<{ id: number; username: string }[]>('GET', '/api/users');
    const account = users.find((u) => u.username === 'kiosk-lobby-wall')!;
    await h.rest('PATCH', `/api/users/${account.id}`, { password: 'a-new-password-for-the-wall' });
    await expect.poll(() => asked, { timeout: 15_000 }).toBeGreaterThanOrEqual(2);
    expect(await wall.getByTestId('kiosk-revoked').count()).toBe(0);

    await wall.evaluate(() => {
      (window as unknown as { refuseSockets: boolean }).refuseSockets = false;
    });
    await wall.unroute('**/api/users/me');
    await waitForState(wall, 'live', 30_000);
    expect(await wall.getByTestId('kiosk').count()).toBe(1);
    await raise('Still on the wall');
    await wall.getByTestId('feed-row').filter({ hasText: 'Still on the wall' }).waitFor();
  }, 60_000);

  it('says its key was revoked, in full screen, and stops trying', async () => {
    await admin.reload();
    const row = admin.getByTestId('kiosk-screen').filter({ hasText: 'Lobby wall' });
    await row.getByRole('button', { name: 'Revoke Lobby wall' }).click();
    await row.filter({ hasText: 'Revoked' }).waitFor();

    const revoked = wall.getByTestId('kiosk-revoked');
    await revoked.waitFor({ timeout: 10_000 });
    expect(await revoked.getByRole('heading').textContent()).toBe("This screen's key was revoked.");
    expect(await revoked.textContent()).toContain('Ask an administrator for a new sign-in link.');
    expect(await wall.getByTestId('kiosk').count()).toBe(0);
    expect(await seriousViolations(wall)).toEqual([]);
    // No more attempts with the revoked key: no socket, no request.
    let attempts = 0;
    wall.on('websocket', () => attempts++);
    wall.on('request', (r) => {
      if (r.url().includes('/api/')) attempts++;
    });
    await wall.waitForTimeout(4000);
    expect(attempts).toBe(0);
  }, 30_000);
});
