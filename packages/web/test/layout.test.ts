/**
 * Layouts (issue 15, items 5 and 6): at 1440x900 the toasts never cover the cards or the feed's
 * filters; on a phone the live feed comes first; the wall/kiosk mode (`?kiosk=1` or /kiosk) has no
 * chrome and large type.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, intersects, PHONE, startHarness, WIDE, waitForStatus } from './support.js';

let h: Harness;
const cameras: number[] = [];

async function box(p: Page, selector: string) {
  const b = await p.locator(selector).first().boundingBox();
  if (!b) throw new Error(`${selector} is not visible`);
  return b;
}

beforeAll(async () => {
  h = await startHarness();
  for (const name of ['Front door', 'Parking lot', 'Lobby', 'Warehouse', 'Server room']) {
    cameras.push((await h.rest<{ id: number }>('POST', '/api/cameras', { name, location: 'Site' })).id);
  }
}, 120_000);

afterAll(async () => {
  await h?.close();
});

describe('layouts', () => {
  it('keeps toasts off the cards and the feed filters at 1440x900', async () => {
    const page = await h.signedInPage({ viewport: WIDE });
    await waitForStatus(page, 'connected');
    await h.rest('POST', '/api/alerts', { alert_type: 'critical', message: 'Door forced open', camera_id: cameras[0] });
    for (let i = 0; i < 5; i++) {
      await h.rest('POST', '/api/alerts', {
        alert_type: 'warning',
        message: `Gate ${i} left open`,
        camera_id: cameras[i],
      });
    }
    await h.rest('POST', '/api/recognitions', { camera_id: cameras[1], person_id: null, confidence: 0.5 });
    await page.getByTestId('toast').filter({ hasText: 'Unknown face' }).waitFor({ timeout: 3000 });
    await page.waitForTimeout(400);
    const toasts = [...(await page.getByTestId('toast').all()), ...(await page.getByTestId('toasts-more').all())];
    expect(toasts.length).toBeGreaterThan(1);
    const protectedBoxes: [string, Awaited<ReturnType<typeof box>>][] = [
      ['feed filters', await box(page, '.feed-filters')],
      ['cameras card', await box(page, '[data-testid="cameras-card"]')],
    ];
    for (const [i, card] of (await page.locator('.stats-grid .stat').all()).entries()) {
      const b = await card.boundingBox();
      if (b) protectedBoxes.push([`stat card ${i + 1}`, b]);
    }
    for (const toast of toasts) {
      const t = await toast.boundingBox();
      if (!t) continue;
      for (const [name, b] of protectedBoxes) {
        expect(intersects(t, b), `a toast (${JSON.stringify(t)}) covers the ${name} (${JSON.stringify(b)})`).toBe(
          false,
        );
      }
    }
    await page.context().close();
  });

  it('puts the live feed first on a phone', async () => {
    const page = await h.signedInPage({ viewport: PHONE, scale: 2 });
    await waitForStatus(page, 'connected');
    const feed = await box(page, '[data-testid="feed-card"]');
    const chart = await box(page, '[data-testid="recognition-chart"]');
    console.log(`[phone] feed top at ${feed.y.toFixed(0)} px, chart top at ${chart.y.toFixed(0)} px`);
    expect(feed.y).toBeLessThan(900);
    expect(feed.y).toBeLessThan(chart.y);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(PHONE.width);
    await page.context().close();
  });

  it('shows a wall/kiosk mode without chrome, in large type', async () => {
    for (const path of ['/?kiosk=1', '/kiosk']) {
      const page = await h.signedInPage({ viewport: { width: 1920, height: 1080 }, path });
      await page.getByTestId('kiosk').waitFor();
      await waitForStatus(page, 'connected');
      expect(await page.locator('nav').count()).toBe(0);
      expect(await page.locator('header.topbar').count()).toBe(0);
      await page.getByTestId('kiosk-cameras').waitFor();
      await page.getByTestId('feed').waitFor();
      const size = await page
        .getByTestId('stat-people-value')
        .evaluate((el) => Number.parseFloat(getComputedStyle(el).fontSize));
      expect(size).toBeGreaterThanOrEqual(48);
      await page.context().close();
    }
  });
});
