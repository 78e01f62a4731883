/**
 * An honest connection state (issue 15, items 2 and 9): with the server stopped the page says
 * Offline with the time its data is from (never "Polling" while every poll fails), dims what may be
 * stale and offers "Retry now"; restarted, it is Live again. A tab refused by the per-user
 * connection limit says so and what to do. No close codes or server wording in the visible text.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, tempDir } from '../../server/src/testing.js';
import { type Harness, startHarness, waitForStatus } from './support.js';

let h: Harness;
let page: Page;
let dataDir: string;
const env = { OPENEYE_MAX_CONNECTIONS_PER_USER: '2' };

/** The state the indicator shows (data-state), polled until `want` or the timeout. */
async function waitForState(p: Page, want: string, timeout = 15_000): Promise<void> {
  await p.locator(`[data-testid="connection-status"][data-state="${want}"]`).waitFor({ timeout });
}

async function visibleText(p: Page): Promise<string> {
  // biome-ignore lint/performance/useDomNodeTextContent: what is rendered on screen is the point
  return p.evaluate(() => document.body.innerText);
}

beforeAll(async () => {
  dataDir = tempDir('openeye-web-connection-');
  h = await startHarness({ env, server: { dataDir } });
  await h.rest('POST', '/api/cameras', { name: 'Front door', location: 'Entrance' });
  page = await h.signedInPage();
  await waitForStatus(page, 'connected');
  await page.getByTestId('stat-cameras-total').filter({ hasText: '1' }).waitFor();
}, 120_000);

afterAll(async () => {
  await h?.close();
});

describe('connection state in the dashboard', () => {
  it('says Offline (not Polling) while the server is down, and Live again when it is back', async () => {
    expect(await page.getByTestId('connection-status').getAttribute('data-state')).toBe('live');
    // Every state shown from now on, to prove "Polling" never appears while polls fail.
    await page.evaluate(() => {
      const seen: string[] = [];
      (window as unknown as { statesSeen: string[] }).statesSeen = seen;
      const record = () => {
        const state = document.querySelector('[data-testid="connection-status"]')?.getAttribute('data-state');
        if (state && seen.at(-1) !== state) seen.push(state);
      };
      new MutationObserver(record).observe(document.body, { subtree: true, attributes: true, childList: true });
    });
    const port = h.server.port;
    await h.server.close();

    await waitForState(page, 'offline');
    const status = page.getByTestId('connection-status');
    const text = (await status.textContent()) ?? '';
    expect(text).toMatch(/Offline/);
    expect(text).toMatch(/data may be stale since \d{2}:\d{2}:\d{2}/);
    // Give the poller a few more failed rounds: still Offline, never Polling.
    await page.waitForTimeout(2500);
    expect(await status.getAttribute('data-state')).toBe('offline');
    const seen = await page.evaluate(() => (window as unknown as { statesSeen: string[] }).statesSeen);
    expect(seen).not.toContain('polling');
    // What may be stale looks stale; the operator can retry.
    expect(await page.getByTestId('stat-cameras').getAttribute('data-stale')).toBe('true');
    expect(await page.locator('.camera-tile[data-stale="true"]').count()).toBeGreaterThan(0);
    // "Retry now" tries at once (the server is still down: still Offline, no error shown).
    await page.getByRole('button', { name: 'Retry now' }).click();
    await waitForState(page, 'offline');
    // Operator language: no close codes, no server wording in the visible text (details in the tooltip only).
    const body = await visibleText(page);
    expect(body).not.toMatch(/\(\d{4}\)/);
    expect(body).not.toContain('Rate limit exceeded');

    h.server = await startTestServer({
      port,
      dataDir,
      env: { OPENEYE_BROADCAST_INTERVAL_MS: '1000', OPENEYE_WEB_ROOT: h.outDir, ...env },
    });
    await waitForState(page, 'live', 15_000);
    expect(await status.textContent()).toContain('Live');
    expect(await page.getByRole('button', { name: 'Retry now' }).count()).toBe(0);
    expect(await page.getByTestId('stat-cameras').getAttribute('data-stale')).toBe('false');
  }, 60_000);

  it('tells a tab refused by the connection limit what happened and what to do', async () => {
    // Each signedInPage is its own browser context, i.e. another device: tabs of one browser share
    // one connection (shareConnection) and never reach the limit; devices still do.
    const tabs: Page[] = [];
    for (let i = 0; i < 2; i++) {
      const p = await h.signedInPage({ username: 'operator', role: 'viewer' });
      await waitForStatus(p, 'connected');
      tabs.push(p);
    }
    const third = await h.signedInPage({ username: 'operator', role: 'viewer' });
    await waitForState(third, 'limited', 15_000);
    const text = (await third.getByTestId('connection-status').textContent()) ?? '';
    expect(text).toMatch(/Too many open tabs/i);
    const body = await visibleText(third);
    expect(body).toMatch(/close other OpenEye tabs/i);
    expect(body).not.toContain('Rate limit exceeded');
    expect(body).not.toMatch(/\(\d{4}\)/);
    // Close one: "Retry now" takes the freed place.
    await tabs[0]!.context().close();
    await third.getByRole('button', { name: 'Retry now' }).click();
    await waitForState(third, 'live', 15_000);
  }, 60_000);
});
