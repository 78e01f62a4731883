/**
 * The History page in Chromium against the real server: filters that live in the URL, paging past
 * the first page, a detail view per event (fields, camera, snapshot, related events), deep links
 * (`/history?event=<id>` opens an event older than any loaded page) and back/forward.
 */
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SyntheticCamera } from '../../server/src/media/synthetic.js';
import { ADMIN_PASSWORD, signIn, startWebHarness, type WebHarness } from './history-support.js';

let h: WebHarness;
let context: BrowserContext;
let page: Page;
const cams: Record<string, number> = {};
let person: number;
const ev = {} as Record<'intruder' | 'nearby' | 'seen' | 'seenAgain' | 'snap' | 'newest', string>;

async function post<T = { id: string }>(route: string, body: unknown): Promise<T> {
  return h.rest<T>('POST', route, body);
}

function url(): URL {
  return new URL(page.url());
}

beforeAll(async () => {
  h = await startWebHarness();
  for (const name of ['Front gate', 'Loading dock']) {
    cams[name] = (await post<{ id: number }>('/api/cameras', { name, location: 'Site A' })).id;
  }
  person = (await post<{ id: number }>('/api/people', { name: 'Ada Lovelace' })).id;
  const dock = cams['Loading dock']!;
  const gate = cams['Front gate']!;
  // The oldest: a critical alert at the dock and, a moment later, motion there; then Ada at the gate.
  ev.intruder = (
    await post('/api/alerts', { alert_type: 'critical', message: 'Intruder at the dock', camera_id: dock })
  ).id;
  ev.nearby = (await post(`/api/cameras/${dock}/events`, { event_type: 'motion_detected', data: { zone: 2 } })).id;
  await post('/api/recognitions', { camera_id: gate, person_id: person, confidence: 0.93 });
  // A snapshot with an alert: multipart, a JPEG of the synthetic camera.
  const form = new FormData();
  form.set('event', JSON.stringify({ alert_type: 'warning', message: 'Tailgating at the gate', camera_id: gate }));
  const jpeg = new SyntheticCamera('Front gate', 0).render(Date.now());
  form.set('snapshot', new Blob([new Uint8Array(jpeg)], { type: 'image/jpeg' }), 'scene.jpg');
  const res = await fetch(`${h.server.url}/api/alerts`, {
    method: 'POST',
    headers: { authorization: `Bearer ${h.server.adminToken}` },
    body: form,
  });
  expect(res.status).toBe(201);
  ev.snap = ((await res.json()) as { id: string }).id;
  // Then 130 routine events, so the oldest ones are well past the first page.
  for (let i = 0; i < 130; i++) {
    const cam = i % 2 === 0 ? gate : dock;
    await post(`/api/cameras/${cam}/events`, { event_type: 'door_open', data: { door: i } });
  }
  await post('/api/recognitions', { camera_id: gate, person_id: person, confidence: 0.88 });
  const seen = await h.rest<{ events: Array<{ id: string }> }>(
    'GET',
    `/api/events?person_id=${person}&types=camera_event`,
  );
  [ev.seen, ev.seenAgain] = seen.events.map((e) => e.id) as [string, string];
  ev.newest = (await post('/api/alerts', { alert_type: 'info', message: 'Shift change' })).id;

  context = await h.newContext();
  page = await context.newPage();
  page.setDefaultTimeout(8000);
  await page.goto(h.server.url);
  await signIn(page, 'admin', ADMIN_PASSWORD);
}, 120_000);

afterAll(async () => {
  await h?.close();
});

describe('event history', () => {
  it('lists the newest events first and pages back past the first page', async () => {
    await page.getByRole('link', { name: 'History' }).click();
    expect(url().pathname).toBe('/history');
    const rows = page.getByTestId('history-row');
    await rows.first().waitFor();
    expect(await rows.first().getAttribute('data-event-id')).toBe(ev.newest);
    const firstPage = await rows.count();
    expect(firstPage).toBeLessThan(136);
    // The oldest alert is not on the first page; "Load older events" brings it.
    expect(await page.locator(`[data-testid="history-row"][data-event-id="${ev.intruder}"]`).count()).toBe(0);
    while (await page.getByRole('button', { name: 'Load older events' }).isVisible()) {
      const before = await rows.count();
      await page.getByRole('button', { name: 'Load older events' }).click();
      await page.waitForFunction((n) => document.querySelectorAll('[data-testid="history-row"]').length > n, before);
    }
    await page.locator(`[data-testid="history-row"][data-event-id="${ev.intruder}"]`).waitFor();
    await page.getByText('This is the oldest event kept.').waitFor();
    // A row reads as the live feed's does (one description, lib/look.ts): the motion's zone.
    expect(await page.locator(`[data-testid="history-row"][data-event-id="${ev.nearby}"]`).textContent()).toContain(
      'Motion detected',
    );
    expect(await page.locator(`[data-testid="history-row"][data-event-id="${ev.nearby}"]`).textContent()).toContain(
      'Zone 2',
    );
  });

  it('filters by camera, type and severity, and the URL says so', async () => {
    await page.getByLabel('Camera').selectOption({ label: 'Loading dock' });
    await page.getByLabel('Type').selectOption({ label: 'Alerts' });
    await page.getByLabel('Severity').selectOption({ label: 'Critical' });
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="history-row"]').length === 1);
    const row = page.getByTestId('history-row');
    expect(await row.getAttribute('data-event-id')).toBe(ev.intruder);
    expect(await row.textContent()).toContain('Intruder at the dock');
    const q = url().searchParams;
    expect([q.get('camera'), q.get('type'), q.get('severity')]).toEqual([
      String(cams['Loading dock']),
      'alert',
      'critical',
    ]);
    // A reload keeps the filters: they live in the URL.
    await page.reload();
    await page.getByTestId('history-row').first().waitFor();
    expect(await page.getByTestId('history-row').count()).toBe(1);
    expect(await page.getByLabel('Severity').inputValue()).toBe('critical');
  });

  it('opens an event: every field, its camera, related events; back and forward walk the views', async () => {
    await page.getByTestId('history-row').first().click();
    const detail = page.getByTestId('event-detail');
    await detail.waitFor();
    expect(url().searchParams.get('event')).toBe(ev.intruder);
    const text = (await detail.textContent()) ?? '';
    expect(text).toContain('Intruder at the dock');
    expect(text).toContain('Critical');
    expect(text).toContain('Loading dock');
    expect(text).toContain(`#${ev.intruder}`);
    // Same camera within 10 minutes: the motion right after it.
    const related = page.getByTestId('related-camera').locator(`a[data-event-id="${ev.nearby}"]`);
    await related.waitFor();
    await related.click();
    await page.waitForFunction((id) => new URL(location.href).searchParams.get('event') === id, ev.nearby);
    await page.getByTestId('event-detail').getByText('Motion detected').first().waitFor();
    await page.goBack();
    await page.waitForFunction((id) => new URL(location.href).searchParams.get('event') === id, ev.intruder);
    await page.getByTestId('event-detail').getByText('Intruder at the dock').first().waitFor();
    await page.goBack();
    await page.getByTestId('event-detail').waitFor({ state: 'detached' });
    expect(url().searchParams.get('event')).toBeNull();
    expect(url().searchParams.get('severity')).toBe('critical');
    await page.goForward();
    await page.getByTestId('event-detail').getByText('Intruder at the dock').first().waitFor();
    // Closing the detail is a step too.
    await page.getByRole('button', { name: 'Close event details' }).click();
    await page.getByTestId('event-detail').waitFor({ state: 'detached' });
    expect(url().searchParams.get('severity')).toBe('critical');
  });

  it('opens /history?event=<id> of an event older than any loaded page (a feed row’s link)', async () => {
    await page.goto(`${h.server.url}/`);
    await page.locator('[data-testid="connection-status"][data-status="connected"]').waitFor();
    // As the feed's rows do: navigate within the app, only the query differs from the History path.
    await page.evaluate((id) => {
      window.history.pushState(null, '', `/history?event=${id}`);
      window.dispatchEvent(new Event('openeye:navigate'));
    }, ev.seen);
    const detail = page.getByTestId('event-detail');
    await detail.getByRole('heading', { name: 'Ada Lovelace recognized' }).waitFor();
    expect(await page.locator(`[data-testid="history-row"][data-event-id="${ev.seen}"]`).count()).toBe(0);
    // Same person: the later sighting, a link that only changes the query.
    const other = page.getByTestId('related-person').locator(`a[data-event-id="${ev.seenAgain}"]`);
    await other.click();
    await page.waitForFunction((id) => new URL(location.href).searchParams.get('event') === id, ev.seenAgain);
    await detail.getByText('88%').first().waitFor();
  });

  it('shows the snapshot stored with an event', async () => {
    await page.goto(`${h.server.url}/history?event=${ev.snap}`);
    const img = page.getByTestId('event-detail').getByRole('img', { name: /Snapshot/ });
    await img.waitFor();
    await page.waitForFunction(
      () => (document.querySelector('[data-testid="event-snapshot"]') as HTMLImageElement | null)?.naturalWidth === 320,
    );
  });

  it('says so when the event is not in the history', async () => {
    await page.goto(`${h.server.url}/history?event=99999999`);
    await page.getByTestId('event-detail').getByText('This event is not in the history').waitFor();
  });
});
