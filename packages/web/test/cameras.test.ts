/**
 * Live camera views in Chromium against the real server: the camera wall shows frames a producer
 * pushes (`PUT /api/cameras/:id/frame`), watches only the tiles on screen and none while the tab
 * is hidden (checked on the server: `GET /api/ws/presence`, and in the socket's sent messages), stays
 * flat through 1,000 frames (every object URL revoked), the single-camera view shows fps and frame
 * age, and an admin sets a camera's snapshot URL.
 */
import type { BrowserContext, CDPSession, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../../test/support/wait.js';
import { SyntheticCamera } from '../../server/src/media/synthetic.js';
import { ADMIN_PASSWORD, signIn, startWebHarness, type WebHarness } from './history-support.js';

let h: WebHarness;
let context: BrowserContext;
let page: Page;
const cams: number[] = [];
const jpegs = new Map<number, Buffer>();

/** Pushes a frame to each of `ids` every `1000 / fps` ms until stopped; counts what the server took. */
function pump(ids: readonly number[], fps: number): { stop(): Promise<void>; sent(): number } {
  let running = true;
  let sent = 0;
  // One loop per camera, so a slow answer for one camera does not hold back the others.
  const loop = Promise.all(
    ids.map(async (id) => {
      while (running) {
        const started = Date.now();
        const res = await fetch(`${h.server.url}/api/cameras/${id}/frame`, {
          method: 'PUT',
          headers: { authorization: `Bearer ${h.server.adminToken}`, 'content-type': 'image/jpeg' },
          body: new Uint8Array(jpegs.get(id)!),
        });
        await res.arrayBuffer();
        if (res.ok) sent++;
        await new Promise((r) => setTimeout(r, Math.max(0, 1000 / fps - (Date.now() - started))));
      }
    }),
  );
  return {
    async stop() {
      running = false;
      await loop;
    },
    sent: () => sent,
  };
}

async function watchedCameras(): Promise<number[]> {
  const presence = await h.rest<{ cameras: Record<string, unknown[]> }>('GET', '/api/ws/presence');
  return Object.entries(presence.cameras)
    .filter(([, watchers]) => watchers.length > 0)
    .map(([id]) => Number(id))
    .sort((a, b) => a - b);
}

beforeAll(async () => {
  h = await startWebHarness({ OPENEYE_MEDIA_MAX_FPS: '60' });
  for (let i = 0; i < 12; i++) {
    const id = (
      await h.rest<{ id: number }>('POST', '/api/cameras', { name: `Camera ${String(i + 1).padStart(2, '0')}` })
    ).id;
    cams.push(id);
    jpegs.set(id, new SyntheticCamera(`Camera ${i + 1}`, i).render(Date.now()));
  }
  context = await h.newContext();
  page = await context.newPage();
  page.setDefaultTimeout(10_000);
  await page.goto(h.server.url);
  await signIn(page, 'admin', ADMIN_PASSWORD);
}, 120_000);

afterAll(async () => {
  await h?.close();
});

describe('camera wall and views', () => {
  it('a tile shows the frames a producer pushes; its full view shows fps and frame age', async () => {
    await page.getByRole('link', { name: 'Live' }).click();
    const tile = page.locator(`[data-testid="camera-tile"][data-camera-id="${cams[0]}"]`);
    await tile.waitFor();
    const pushing = pump([cams[0]!], 10);
    try {
      await page.waitForFunction((id) => {
        const img = document.querySelector<HTMLImageElement>(`[data-camera-id="${id}"] img[data-testid="tile-frame"]`);
        return img !== null && img.complete && img.naturalWidth === 320;
      }, cams[0]);
      const firstSeq = Number(await tile.getAttribute('data-seq'));
      await page.waitForFunction(
        ([id, seq]) => Number(document.querySelector(`[data-camera-id="${id}"]`)?.getAttribute('data-seq')) > seq!,
        [cams[0]!, firstSeq] as const,
      );
      await tile.getByRole('link').click();
      await page.waitForURL(`**/cameras/${cams[0]}`);
      const view = page.getByTestId('camera-view');
      await view.locator('img[data-testid="view-frame"]').waitFor();
      await page.waitForFunction(() => {
        const fps = Number(document.querySelector('[data-testid="view-fps"]')?.textContent?.replace(/[^0-9.]/g, ''));
        return fps > 0;
      });
      expect(await page.getByTestId('view-age').textContent()).toMatch(/\d+(\.\d+)? s|ms/);
    } finally {
      await pushing.stop();
    }
  });

  it('watches only the tiles on screen, and none while the tab is hidden', async () => {
    const sent: Array<{ type: string; camera_id: number }> = [];
    page.on('websocket', (ws) =>
      ws.on('framesent', (f) => {
        if (typeof f.payload !== 'string') return;
        const m = JSON.parse(f.payload) as { type: string; camera_id: number };
        if (m.type === 'watch' || m.type === 'unwatch') sent.push(m);
      }),
    );
    // Narrow: one or two tiles a row, so the last ones are well below the fold.
    await page.setViewportSize({ width: 700, height: 600 });
    await page.goto(`${h.server.url}/wall`);
    await page.locator('[data-testid="camera-tile"]').first().waitFor();
    const first = cams[0]!;
    const last = cams.at(-1)!;
    await waitFor(async () => {
      const w = await watchedCameras();
      return sent.some((m) => m.type === 'watch' && m.camera_id === first) && w.includes(first) && !w.includes(last);
    }, 'the first tiles watched, not the last');
    sent.length = 0;
    await page.locator(`[data-testid="camera-tile"][data-camera-id="${last}"]`).scrollIntoViewIfNeeded();
    await waitFor(async () => {
      const w = await watchedCameras();
      return w.includes(last) && !w.includes(first);
    }, 'the last tile watched, the first not');
    await waitFor(
      () =>
        sent.some((m) => m.type === 'unwatch' && m.camera_id === first) &&
        sent.some((m) => m.type === 'watch' && m.camera_id === last),
      'unwatch of the first and watch of the last sent',
    );
    // The tab goes to the background: nothing is watched; back: the visible tiles again.
    const setHidden = (hidden: boolean) =>
      page.evaluate((value) => {
        Object.defineProperty(document, 'visibilityState', {
          configurable: true,
          get: () => (value ? 'hidden' : 'visible'),
        });
        Object.defineProperty(document, 'hidden', { configurable: true, get: () => value });
        document.dispatchEvent(new Event('visibilitychange'));
      }, hidden);
    await setHidden(true);
    await waitFor(async () => (await watchedCameras()).length === 0, 'nothing watched while hidden');
    await setHidden(false);
    await waitFor(async () => (await watchedCameras()).includes(last), 'watched again when visible');
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  it('stays flat through 1,000 frames: every replaced frame’s object URL is revoked', async () => {
    const ctx = await h.newContext({ viewport: { width: 1600, height: 1400 } });
    await ctx.addInitScript(() => {
      const counts = { created: 0, revoked: 0 };
      (window as unknown as { __blobs: typeof counts }).__blobs = counts;
      const create = URL.createObjectURL.bind(URL);
      const revoke = URL.revokeObjectURL.bind(URL);
      URL.createObjectURL = (obj: Blob | MediaSource) => {
        counts.created++;
        return create(obj);
      };
      URL.revokeObjectURL = (url: string) => {
        counts.revoked++;
        revoke(url);
      };
    });
    const p = await ctx.newPage();
    p.setDefaultTimeout(10_000);
    await p.goto(h.server.url);
    await signIn(p, 'admin', ADMIN_PASSWORD);
    await p.goto(`${h.server.url}/wall?fps=30`);
    const tiles = p.locator('[data-testid="camera-tile"]');
    await tiles.first().waitFor();
    const cdp: CDPSession = await ctx.newCDPSession(p);
    await cdp.send('Performance.enable');
    const heap = async () => {
      await cdp.send('HeapProfiler.collectGarbage');
      const { metrics } = await cdp.send('Performance.getMetrics');
      return metrics.find((m) => m.name === 'JSHeapUsedSize')!.value;
    };
    const pushing = pump(cams, 30);
    const started = Date.now();
    try {
      await p.waitForFunction(
        () => (window as unknown as { __blobs: { created: number } }).__blobs.created >= 100,
        null,
        {
          timeout: 20_000,
        },
      );
      const heapBefore = await heap();
      await p.waitForFunction(
        () => (window as unknown as { __blobs: { created: number } }).__blobs.created >= 1000,
        null,
        {
          timeout: 40_000,
          polling: 250,
        },
      );
      const heapAfter = await heap();
      const counts = await p.evaluate(
        () => (window as unknown as { __blobs: { created: number; revoked: number } }).__blobs,
      );
      const tileCount = await tiles.count();
      expect(counts.created).toBeGreaterThanOrEqual(1000);
      expect(counts.created - counts.revoked).toBeLessThanOrEqual(tileCount);
      expect(heapAfter - heapBefore).toBeLessThan(4 * 1024 * 1024);
      console.info(
        `1,000 frames: ${counts.created} object URLs created, ${counts.revoked} revoked, ${tileCount} tiles, ` +
          `heap ${(heapBefore / 1e6).toFixed(1)} -> ${(heapAfter / 1e6).toFixed(1)} MB, ${pushing.sent()} frames pushed in ${Date.now() - started} ms`,
      );
    } finally {
      await pushing.stop();
      await ctx.close();
    }
  }, 80_000);

  it('an admin sets a camera’s snapshot URL and it is saved', async () => {
    await page.goto(`${h.server.url}/cameras`);
    await page.getByRole('button', { name: 'Edit Camera 03' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Snapshot URL').fill('http://cam-03.example.test/api/latest.jpg');
    await dialog.getByRole('button', { name: 'Save changes' }).click();
    await dialog.waitFor({ state: 'hidden' });
    const saved = await h.rest<{ snapshot_url: string | null; mjpeg_url: string | null }>(
      'GET',
      `/api/cameras/${cams[2]}`,
    );
    expect(saved.snapshot_url).toBe('http://cam-03.example.test/api/latest.jpg');
    expect(saved.mjpeg_url ?? null).toBeNull();
  });
});
