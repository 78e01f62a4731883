/**
 * The simulator's synthetic frames: in-process (`serve --demo`) straight into the media service,
 * and over HTTP (`openeye simulate`) with PUT /api/cameras/:id/frame, fast only while someone
 * watches (the PUT answer's `viewers` tells), one a second otherwise. Cameras with a real source
 * are left alone.
 */
import { decodeFrame } from '@openeye/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import {
  domainSink,
  type FrameSink,
  httpFrameSink,
  httpSink,
  mediaSink,
  startFrames,
  startSimulator,
} from '../src/simulate.js';
import { startTestServer, type TestServer } from '../src/testing.js';
import { api, wsUrl } from './helpers.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await sleep(20);
  }
}

/** A socket watching `cameraId`, counting the frames it gets. */
async function watcher(t: TestServer, token: string, cameraId: number) {
  const ws = new WebSocket(wsUrl(t.url, { token }));
  const frames: Array<{ width: number; height: number; at: number }> = [];
  await new Promise<void>((resolve) => {
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (isBinary) {
        const f = decodeFrame(new Uint8Array(data));
        if (f?.header.cameraId === cameraId)
          frames.push({ width: f.header.width, height: f.header.height, at: Date.now() });
      } else if (JSON.parse(String(data)).type === 'connection_status') resolve();
    });
  });
  ws.send(JSON.stringify({ type: 'watch', camera_id: cameraId, max_fps: 15 }));
  return { ws, frames };
}

let t: TestServer;
let viewer: string;

beforeAll(async () => {
  t = await startTestServer();
  viewer = await t.tokenFor('frames-viewer', 'viewer');
});
afterAll(async () => {
  await t?.close();
});

describe('synthetic frames', () => {
  it('in-process: a watcher of a simulated camera sees 320×240 frames at about 5 fps at once', async () => {
    const sim = await startSimulator(domainSink(t.server.domain), {
      rate: 1,
      duration: 0,
      frames: { sink: mediaSink(t.server.media), fps: 5 },
    });
    try {
      const cameras = (await api(t.url, 'GET', '/api/cameras', viewer)).body as Array<{ id: number }>;
      expect(cameras.length).toBe(4);
      // Unwatched cameras got one frame already: the snapshot answers.
      await until(() => t.server.media.latestFrame(cameras[1]!.id) !== null, 3000, 'a first frame');
      const snap = await fetch(`${t.url}/api/cameras/${cameras[1]!.id}/snapshot`, {
        headers: { authorization: `Bearer ${viewer}` },
      });
      expect(snap.headers.get('content-type')).toBe('image/jpeg');

      const w = await watcher(t, viewer, cameras[0]!.id);
      await until(() => w.frames.length >= 1, 1000, 'the newest frame at once');
      const start = Date.now();
      await sleep(2000);
      const got = w.frames.filter((f) => f.at >= start).length;
      expect(got).toBeGreaterThanOrEqual(5);
      expect(got).toBeLessThanOrEqual(13);
      expect(w.frames[0]).toMatchObject({ width: 320, height: 240 });
      w.ws.close();
    } finally {
      sim.stop();
    }
  });

  it('over HTTP: fast only while watched, one a second otherwise; cameras with a source are left alone', async () => {
    const token = t.adminToken;
    const pulled = (
      await api(t.url, 'POST', '/api/cameras', token, { name: 'Real one', snapshot_url: 'http://127.0.0.1:9/x.jpg' })
    ).body.id as number;
    const sim = await startSimulator(httpSink(t.url, token), {
      rate: 1,
      duration: 0,
      frames: { sink: httpFrameSink(t.url, token), fps: 5, idleIntervalMs: 1000 },
    });
    const seq = (id: number) => t.server.media.latestFrame(id)?.seq ?? 0;
    try {
      const cameras = (await api(t.url, 'GET', '/api/cameras', viewer)).body as Array<{ id: number }>;
      const id = cameras[2]!.id;
      await sleep(500);
      const idleFrom = seq(id);
      await sleep(2000);
      const idle = seq(id) - idleFrom;
      expect(idle).toBeGreaterThanOrEqual(1);
      expect(idle).toBeLessThanOrEqual(3);

      const w = await watcher(t, viewer, id);
      // The simulator learns of the viewer from its next push (within a second), then pushes at 5 fps.
      await until(() => w.frames.length >= 4, 4000, 'frames at the watched rate');
      const from = seq(id);
      await sleep(2000);
      expect(seq(id) - from).toBeGreaterThanOrEqual(5);

      w.ws.close();
      await sleep(1200);
      const after = seq(id);
      await sleep(2000);
      expect(seq(id) - after).toBeLessThanOrEqual(3);
      expect(t.server.media.latestFrame(pulled)).toBeNull();
    } finally {
      sim.stop();
    }
  });

  it('a push waits for the previous one; a failing sink does not stop the others', async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    const pushes = new Map<number, number>();
    const sink: FrameSink = {
      async push(id) {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        pushes.set(id, (pushes.get(id) ?? 0) + 1);
        await sleep(150);
        inFlight--;
        if (id === 2) throw new Error('down');
        return 1;
      },
    };
    const cams = [1, 2].map((id) => ({
      id,
      name: `C${id}`,
      location: null,
      active: true,
      recording: false,
      last_seen_at: null,
      created_at: new Date().toISOString(),
    }));
    const frames = startFrames(cams, { sink, fps: 20, idleIntervalMs: 10_000 });
    await sleep(1000);
    frames.stop();
    // Camera 1 is watched (its pushes answer 1): ~1 s / 150 ms per push; camera 2 fails and idles.
    expect(pushes.get(1)).toBeGreaterThanOrEqual(4);
    expect(pushes.get(1)).toBeLessThanOrEqual(8);
    expect(pushes.get(2)).toBe(1);
    expect(maxInFlight).toBeLessThanOrEqual(2);
  });
});
