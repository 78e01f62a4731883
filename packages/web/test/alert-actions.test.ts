/**
 * Alerts people act on, in the dashboard (issue 13, "Dashboard" and "One connection per
 * browser"): two operators acknowledging at once (one wins, the other is told who was first), who
 * acted and when on each inbox item, the unread count in the tab title, and one shared connection
 * for all tabs of one browser. Chromium against the real server.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness, waitForStatus } from './support.js';

let h: Harness;
let page: Page;
let camera: number;

const HHMM = /\d{2}:\d{2}/;
const axeSource = fs.readFileSync(createRequire(import.meta.url).resolve('axe-core'), 'utf8');

/** axe's serious and critical violations inside `selector` (as a11y.test.ts, for what only this file opens). */
async function seriousViolations(p: Page, selector: string): Promise<string[]> {
  if (!(await p.evaluate(() => 'axe' in window))) await p.evaluate(`${axeSource}\n;true`);
  return p.evaluate(async (sel) => {
    type Result = { violations: { id: string; impact: string | null; nodes: { html: string }[] }[] };
    const axe = (window as unknown as { axe: { run(ctx: string, o: object): Promise<Result> } }).axe;
    const { violations } = await axe.run(sel, { resultTypes: ['violations'] });
    return violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.impact} ${v.id}: ${v.nodes.map((n) => n.html.slice(0, 120)).join(', ')}`);
  }, selector);
}

type AlertBody = {
  id: string;
  version: number;
  state: string;
  acknowledged_by: { username: string } | null;
  history: { action: string; note: string | null }[];
};

async function handleEverything(): Promise<void> {
  const { alerts } = await h.rest<{ alerts: { id: string; version: number; state: string }[] }>(
    'GET',
    '/api/alerts?limit=500',
  );
  for (const alert of alerts.filter((a) => a.state !== 'resolved')) {
    await h.rest('POST', `/api/alerts/${alert.id}/resolve`, { version: alert.version });
  }
}

function item(p: Page, id: string) {
  return p.locator(`[data-testid="inbox-item"][data-alert-id="${id}"]`);
}

async function openInbox(p: Page): Promise<void> {
  if ((await p.getByTestId('alert-inbox').count()) === 0) await p.getByTestId('alerts-button').click();
  await p.getByTestId('alert-inbox').waitFor();
}

beforeAll(async () => {
  h = await startHarness();
  camera = (await h.rest<{ id: number }>('POST', '/api/cameras', { name: 'Loading bay', location: 'Site' })).id;
  page = await h.signedInPage({ viewport: { width: 1440, height: 900 } });
  await waitForStatus(page, 'connected');
}, 120_000);

afterAll(async () => {
  await h?.close();
});

describe('acting on alerts in the dashboard', () => {
  it('two operators acknowledge at once: one wins, the other is told who was first', async () => {
    const other = await h.signedInPage({
      username: 'operator',
      role: 'viewer',
      viewport: { width: 1440, height: 900 },
    });
    await waitForStatus(other, 'connected');
    await openInbox(page);
    await openInbox(other);
    const alert = await h.rest<{ id: string }>('POST', '/api/alerts', {
      alert_type: 'warning',
      message: 'Forklift in the walkway',
      camera_id: camera,
    });
    // "At once": each browser's request is held until both have clicked, then both go to the real
    // server together, each with the version its page saw (1).
    let release: () => void = () => {};
    const bothClicked = new Promise<void>((resolve) => {
      release = resolve;
    });
    let held = 0;
    for (const p of [page, other]) {
      await p.route('**/api/alerts/*/acknowledge', async (route) => {
        if (++held === 2) release();
        await bothClicked;
        await route.continue();
      });
    }
    for (const p of [page, other]) {
      await item(p, alert.id).getByRole('button', { name: 'Acknowledge', exact: true }).click({ timeout: 10_000 });
    }
    await bothClicked;

    const server = await expect
      .poll(async () => (await h.rest<AlertBody>('GET', `/api/alerts/${alert.id}`)).state, { timeout: 5000 })
      .toBe('acknowledged')
      .then(() => h.rest<AlertBody>('GET', `/api/alerts/${alert.id}`));
    expect(server.history.filter((t) => t.action === 'acknowledge')).toHaveLength(1);
    const winner = server.acknowledged_by?.username;
    expect(['admin', 'operator']).toContain(winner);
    const [winnerPage, loserPage] = winner === 'admin' ? [page, other] : [other, page];

    // Both show it acknowledged, with who and when.
    for (const p of [page, other]) {
      const it = p.locator(`[data-testid="inbox-item"][data-alert-id="${alert.id}"][data-state="acknowledged"]`);
      await it.waitFor({ timeout: 5000 });
      const who = (await it.getByTestId('inbox-who').textContent()) ?? '';
      expect(who).toContain(`Acknowledged by ${winner} at`);
      expect(who).toMatch(HHMM);
    }
    // The one who lost is told who was first, not given a generic error.
    const notice = item(loserPage, alert.id).getByTestId('inbox-conflict');
    await notice.waitFor({ timeout: 5000 });
    expect(await notice.textContent()).toMatch(new RegExp(`Already acknowledged by ${winner} at \\d{2}:\\d{2}`));
    expect(await item(loserPage, alert.id).textContent()).not.toMatch(/Try again/);
    expect(await item(winnerPage, alert.id).getByTestId('inbox-conflict').count()).toBe(0);
    await page.unrouteAll();
    await other.context().close();
    await handleEverything();
  }, 60_000);

  it('counts unread alerts in the tab title, live', async () => {
    await expect.poll(() => page.title(), { timeout: 5000 }).toBe('Dashboard · OpenEye');
    const ids: string[] = [];
    for (let i = 1; i <= 3; i++) {
      ids.push((await h.rest<{ id: string }>('POST', '/api/alerts', { alert_type: 'info', message: `Check ${i}` })).id);
    }
    await expect.poll(() => page.title(), { timeout: 5000 }).toBe('(3) Dashboard · OpenEye');
    await h.rest('POST', `/api/alerts/${ids[0]}/acknowledge`, { version: 1 });
    await expect.poll(() => page.title(), { timeout: 5000 }).toBe('(2) Dashboard · OpenEye');
    // Another page keeps the count.
    await page.getByRole('link', { name: 'Cameras', exact: true }).click();
    await expect.poll(() => page.title(), { timeout: 5000 }).toMatch(/^\(2\) .+ · OpenEye$/);
    await handleEverything();
    await expect.poll(() => page.title(), { timeout: 5000 }).not.toMatch(/^\(/);
    await page.getByRole('link', { name: 'Dashboard', exact: true }).click();
  }, 30_000);

  it('six tabs of one operator share one connection; closing the leader, another takes over', async () => {
    // One browser (one context): its tabs share storage, locks and channels.
    const token = await h.server.tokenFor('shift-lead', 'viewer');
    const ctx = await h.newContext({ storage: { token } });
    const tabs: Page[] = [];
    for (let i = 0; i < 6; i++) {
      const p = await ctx.newPage();
      await p.goto(h.server.url);
      await waitForStatus(p, 'connected', 15_000);
      tabs.push(p);
    }
    const userId = String(await h.server.userId('shift-lead'));
    const connectionsOf = async () => {
      const status = await h.rest<{ statistics: { connections_by_user: Record<string, number> } }>(
        'GET',
        '/api/ws/status',
      );
      return status.statistics.connections_by_user[userId] ?? 0;
    };
    await expect.poll(connectionsOf, { timeout: 5000 }).toBe(1);
    const roles = await Promise.all(tabs.map((p) => p.getByTestId('connection-status').getAttribute('data-tab-role')));
    expect(roles.filter((r) => r === 'leader')).toHaveLength(1);
    expect(roles.filter((r) => r === 'follower')).toHaveLength(5);

    const unreadIn = (p: Page) =>
      p.evaluate(() => Number(document.querySelector('[data-testid="unread-count"]')?.textContent ?? '0'));
    await h.rest('POST', '/api/alerts', { alert_type: 'warning', message: 'Door held open' });
    for (const p of tabs) await expect.poll(() => unreadIn(p), { timeout: 5000 }).toBe(1);

    // The leader closes: another tab takes over, stays Live, and still gets every alert.
    const leader = tabs[roles.indexOf('leader')]!;
    await leader.close();
    const rest = tabs.filter((p) => p !== leader);
    await expect
      .poll(
        async () =>
          (await Promise.all(rest.map((p) => p.getByTestId('connection-status').getAttribute('data-tab-role')))).filter(
            (r) => r === 'leader',
          ).length,
        { timeout: 5000 },
      )
      .toBe(1);
    for (const p of rest) await waitForStatus(p, 'connected', 5000);
    await h.rest('POST', '/api/alerts', { alert_type: 'warning', message: 'Door held open again' });
    for (const p of rest) await expect.poll(() => unreadIn(p), { timeout: 5000 }).toBe(2);
    await expect.poll(connectionsOf, { timeout: 5000 }).toBe(1);

    // Signing out in one tab signs out every tab of this browser: no tab takes the connection over.
    await rest[0]!.getByRole('button', { name: 'Sign out' }).click();
    for (const p of rest) await p.getByRole('heading', { name: 'Sign in' }).waitFor({ timeout: 5000 });
    await expect.poll(connectionsOf, { timeout: 5000 }).toBe(0);
    await ctx.close();
    await handleEverything();
  }, 60_000);

  it('assigns (to me; to anyone for admins) and keeps notes in the item history', async () => {
    await h.server.tokenFor('operator', 'viewer');
    const operatorId = await h.server.userId('operator');
    const adminId = await h.server.userId('admin');
    await openInbox(page);
    const alert = await h.rest<{ id: string }>('POST', '/api/alerts', {
      alert_type: 'warning',
      message: 'Pallet blocking fire exit',
      camera_id: camera,
    });
    const it = item(page, alert.id);
    await it.waitFor({ timeout: 5000 });
    const get = () => h.rest<AlertBody & { assigned_to: number | null }>('GET', `/api/alerts/${alert.id}`);

    // Note, assignment list and history open on demand.
    const toggle = it.getByRole('button', { name: 'Note and history' });
    expect(await toggle.getAttribute('aria-expanded')).toBe('false');
    expect(await it.getByLabel('Note (optional)').count()).toBe(0);
    await toggle.click();
    expect(await toggle.getAttribute('aria-expanded')).toBe('true');

    await it.getByRole('button', { name: 'Assign to me' }).click();
    await it.getByTestId('inbox-who').filter({ hasText: 'Assigned to you' }).waitFor({ timeout: 5000 });
    expect((await get()).assigned_to).toBe(adminId);

    // Admins assign to anyone (the users from GET /api/users).
    const select = it.getByLabel('Assign to');
    await expect.poll(() => select.locator('option', { hasText: 'operator' }).count(), { timeout: 5000 }).toBe(1);
    await select.selectOption({ label: 'operator' });
    await it.getByTestId('inbox-who').filter({ hasText: 'Assigned to operator' }).waitFor({ timeout: 5000 });
    expect((await get()).assigned_to).toBe(operatorId);

    // A note that is too long is refused by the server, and said so in plain words.
    const note = it.getByLabel('Note (optional)');
    await note.fill('x'.repeat(2100));
    await it.getByRole('button', { name: 'Acknowledge', exact: true }).click();
    await it.getByText(/note is too long/i).waitFor({ timeout: 5000 });
    expect((await get()).state).toBe('open');

    await note.fill('Moved the pallet, exit clear');
    await it.getByRole('button', { name: 'Acknowledge', exact: true }).click();
    await page
      .locator(`[data-testid="inbox-item"][data-alert-id="${alert.id}"][data-state="acknowledged"]`)
      .waitFor({ timeout: 5000 });
    expect((await get()).history.map((t) => t.note)).toContain('Moved the pallet, exit clear');
    expect(await note.inputValue()).toBe('');

    const history = it.getByTestId('inbox-history');
    await history.getByText('Moved the pallet, exit clear').waitFor({ timeout: 5000 });
    const text = (await history.textContent()) ?? '';
    expect(text).toMatch(/Acknowledged by admin/);
    expect(text).toMatch(/Assigned to operator by admin/);
    // Note field, assign list and history open: still nothing serious for axe.
    expect(await seriousViolations(page, '[data-testid="alert-inbox"]')).toEqual([]);
    await handleEverything();
  }, 30_000);

  it('has a sound setting for critical alerts: off by default, per browser, kept across reloads', async () => {
    await openInbox(page);
    const toggle = page.getByTestId('alert-inbox').getByRole('button', { name: 'Sound for critical alerts' });
    expect(await toggle.getAttribute('aria-pressed')).toBe('false');
    await toggle.click();
    expect(await toggle.getAttribute('aria-pressed')).toBe('true');
    await page.reload();
    await waitForStatus(page, 'connected');
    await openInbox(page);
    expect(await toggle.getAttribute('aria-pressed')).toBe('true');
    // A critical alert with the sound on is shown as usual (the beep itself is not asserted).
    await h.rest('POST', '/api/alerts', { alert_type: 'critical', message: 'Sprinkler valve closed' });
    await page.getByTestId('toast').filter({ hasText: 'Sprinkler valve closed' }).waitFor({ timeout: 5000 });
    // Another browser has its own setting: off.
    const other = await h.signedInPage({ username: 'operator', role: 'viewer' });
    await waitForStatus(other, 'connected');
    await openInbox(other);
    const otherToggle = other.getByTestId('alert-inbox').getByRole('button', { name: 'Sound for critical alerts' });
    expect(await otherToggle.getAttribute('aria-pressed')).toBe('false');
    await other.context().close();
    await toggle.click();
    expect(await toggle.getAttribute('aria-pressed')).toBe('false');
    await page.keyboard.press('Escape');
    await handleEverything();
  }, 30_000);

  it('acknowledges from an alert row of the live feed, with the keyboard', async () => {
    await page.goto(h.server.url);
    await waitForStatus(page, 'connected');
    const alert = await h.rest<{ id: string }>('POST', '/api/alerts', {
      alert_type: 'warning',
      message: 'Cold store door ajar',
      camera_id: camera,
    });
    const row = page.getByTestId('feed').locator(`[data-testid="feed-row"][data-event-id="${alert.id}"]`);
    await row.waitFor({ timeout: 5000 });
    await expect.poll(() => row.getAttribute('data-alert-state'), { timeout: 5000 }).toBe('open');
    const button = row.getByRole('button', { name: /^Acknowledge/ });
    await row.focus();
    await page.keyboard.press('Tab');
    expect(await button.evaluate((el) => el === document.activeElement)).toBe(true);
    await page.keyboard.press('Enter');
    await expect.poll(() => row.getAttribute('data-alert-state'), { timeout: 5000 }).toBe('acknowledged');
    // The button acted; it did not open the row's detail.
    expect(new URL(page.url()).pathname).toBe('/');
    expect(await button.count()).toBe(0);
    const server = await h.rest<AlertBody>('GET', `/api/alerts/${alert.id}`);
    expect(server.acknowledged_by?.username).toBe('admin');
    // Acknowledged: the row's next step is Resolve.
    await row.getByRole('button', { name: /^Resolve/ }).click();
    await expect.poll(() => row.getAttribute('data-alert-state'), { timeout: 5000 }).toBe('resolved');
    expect((await h.rest<AlertBody>('GET', `/api/alerts/${alert.id}`)).state).toBe('resolved');
    await handleEverything();
  }, 30_000);

  it('resolves from a toast, as from the list', async () => {
    await page.goto(h.server.url);
    await waitForStatus(page, 'connected');
    const alert = await h.rest<{ id: string }>('POST', '/api/alerts', {
      alert_type: 'critical',
      message: 'Fire door propped open',
      camera_id: camera,
    });
    const toast = page.getByTestId('toast').filter({ hasText: 'Fire door propped open' });
    await toast.waitFor({ timeout: 10_000 });
    await toast.getByRole('button', { name: 'Resolve' }).click();
    await toast.waitFor({ state: 'detached', timeout: 8000 });
    const server = await h.rest<AlertBody>('GET', `/api/alerts/${alert.id}`);
    expect(server.state).toBe('resolved');
    await handleEverything();
  }, 30_000);

  it('shows resolved alerts in the list too, with who resolved them', async () => {
    await page.goto(h.server.url);
    await waitForStatus(page, 'connected');
    const alert = await h.rest<{ id: string }>('POST', '/api/alerts', {
      alert_type: 'warning',
      message: 'Loading bay gate left open',
      camera_id: camera,
    });
    await h.rest('POST', `/api/alerts/${alert.id}/resolve`, { version: 1, note: 'closed it' });
    await page.getByTestId('alerts-button').click();
    const inbox = page.getByTestId('alert-inbox');
    await inbox.waitFor();
    await inbox.getByRole('tab', { name: 'Resolved' }).click();
    const item = inbox.locator(`[data-testid="inbox-item"][data-alert-id="${alert.id}"]`);
    await item.waitFor({ timeout: 5000 });
    expect(await item.getAttribute('data-state')).toBe('resolved');
    expect(await item.textContent()).toContain('Resolved by admin');
    // Handled: nothing left to act on but its details.
    expect(await item.getByRole('button', { name: /^(Acknowledge|Resolve|Assign to me)$/ }).count()).toBe(0);
    await inbox.getByRole('tab', { name: 'To handle' }).click();
    await item.waitFor({ state: 'detached' });
    await page.keyboard.press('Escape');
  }, 30_000);
});
