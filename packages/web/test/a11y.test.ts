/**
 * Accessibility (issue 15, item 8): axe-core on every page (sign-in, dashboard, cameras, people,
 * admin, and the dashboard with an alert and the inbox open) finds nothing serious or critical;
 * feed rows and camera tiles are reachable by keyboard and Enter opens their detail.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seriousViolations } from './axe.js';
import { type Harness, startHarness, WIDE, waitForStatus } from './support.js';

let h: Harness;
const cameras: number[] = [];

beforeAll(async () => {
  h = await startHarness();
  for (const name of ['Front door', 'Warehouse']) {
    cameras.push((await h.rest<{ id: number }>('POST', '/api/cameras', { name, location: 'Site' })).id);
  }
  await h.rest('POST', '/api/people', { name: 'Grace Hopper' });
}, 120_000);

afterAll(async () => {
  await h?.close();
});

describe('accessibility', () => {
  it('has no serious or critical axe violations on any page', async () => {
    const ctx = await h.newContext({ viewport: WIDE });
    const page = await ctx.newPage();
    const found: Record<string, string[]> = {};
    await page.goto(h.server.url);
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    found.login = await seriousViolations(page);

    const token = await h.server.tokenFor('admin', 'admin');
    await page.evaluate((t) => localStorage.setItem('token', t), token);
    await page.goto(h.server.url);
    await waitForStatus(page, 'connected');
    await h.rest('POST', '/api/recognitions', { camera_id: cameras[0], person_id: null, confidence: 0.5 });
    await h.rest('POST', '/api/alerts', { alert_type: 'critical', message: 'Door forced', camera_id: cameras[1] });
    await page.getByTestId('toast').first().waitFor();
    found.dashboard = await seriousViolations(page);
    await page.getByTestId('alerts-button').click();
    await page.getByTestId('alert-inbox').waitFor();
    found.inbox = await seriousViolations(page);
    await page.keyboard.press('Escape');

    for (const [name, heading] of [
      ['cameras', 'Cameras'],
      ['people', 'People'],
      ['admin', 'Admin'],
    ] as const) {
      await page.getByRole('link', { name: heading, exact: true }).click();
      await page.getByRole('heading', { name: heading, level: 1 }).waitFor();
      await page.waitForTimeout(300);
      found[name] = await seriousViolations(page);
    }
    await page.getByRole('link', { name: 'Live', exact: true }).click();
    await page.getByTestId('camera-grid').waitFor();
    found.wall = await seriousViolations(page);
    await page.goto(`${h.server.url}/cameras/${cameras[0]}`);
    await page.getByRole('heading', { level: 1 }).first().waitFor();
    await page.waitForTimeout(300);
    found.camera = await seriousViolations(page);
    await page.getByRole('link', { name: 'History', exact: true }).click();
    await page.locator('section.history-list[aria-busy="false"]').waitFor();
    await page.getByTestId('history-row').first().click();
    await page.getByTestId('event-detail').waitFor();
    found.history = await seriousViolations(page);
    await page.goto(`${h.server.url}/?kiosk=1`);
    await page.getByTestId('kiosk').waitFor();
    found.kiosk = await seriousViolations(page);

    for (const [name, list] of Object.entries(found)) if (list.length) console.log(name, list);
    expect(found).toEqual({
      login: [],
      dashboard: [],
      inbox: [],
      cameras: [],
      people: [],
      admin: [],
      wall: [],
      camera: [],
      history: [],
      kiosk: [],
    });
    await ctx.close();
  }, 60_000);

  it('reaches feed rows and camera tiles by keyboard; Enter opens their detail', async () => {
    const page = await h.signedInPage({ viewport: WIDE });
    await waitForStatus(page, 'connected');
    const event = await h.rest<{ id: string }>('POST', `/api/cameras/${cameras[0]}/events`, {
      event_type: 'motion_detected',
      data: { zone: 1 },
    });
    const row = page.locator(`[data-testid="feed"] li[data-event-id="${event.id}"]`);
    await row.waitFor({ timeout: 3000 });
    expect(await row.getAttribute('tabindex')).toBe('0');
    await row.focus();
    await page.keyboard.press('Enter');
    await page.waitForURL((url) => url.pathname === '/history' && url.searchParams.get('event') === event.id);

    await page.goto(h.server.url);
    await waitForStatus(page, 'connected');
    const tile = page.locator(`.camera-tile[data-camera-id="${cameras[1]}"]`);
    await tile.waitFor();
    expect(await tile.getAttribute('tabindex')).toBe('0');
    await tile.focus();
    await page.keyboard.press('Enter');
    await page.waitForURL((url) => url.pathname === `/cameras/${cameras[1]}`);
  });
});
