/**
 * Camera frames in a cluster (issue 12): a frame taken in on one node reaches viewers on another
 * through the cluster engine, and only frames of cameras someone watches elsewhere cross the bus.
 */
import { randomBytes } from 'node:crypto';
import { decodeFrame } from '@openeye/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { expectNothingFor, waitFor } from '../../../test/support/wait.js';
import { createTestDatabase, startTestServer, TEST_CLUSTER_ENGINES, type TestServer } from '../src/testing.js';
import { api, wsUrl } from './helpers.js';

const jpeg = (n: number) => {
  const b = Buffer.alloc(n, 4);
  b.set([0xff, 0xd8, 0xff]);
  return b;
};

async function forwarded(t: TestServer): Promise<number> {
  const text = await (await fetch(`${t.url}/metrics`)).text();
  return Number(/openeye_media_frames_forwarded_total (\d+)/.exec(text)?.[1] ?? 0);
}

describe.each(TEST_CLUSTER_ENGINES)('frames across nodes ($name)', (engine) => {
  const prefix = `m${randomBytes(4).toString('hex')}`;
  let db: { url: string; drop(): Promise<void> };
  let a: TestServer;
  let b: TestServer;
  let cam: number;
  let producer: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    const env = {
      DATABASE_URL: db.url,
      OPENEYE_JWT_SECRET: 'a-shared-secret-for-media-cluster-tests-0',
      ...engine.env(prefix),
    };
    a = await startTestServer({ env });
    b = await startTestServer({ env });
    producer = await a.tokenFor('frames-producer', 'producer');
    cam = (await api(a.url, 'POST', '/api/cameras', a.adminToken, { name: 'Hall' })).body.id;
  }, 60_000);
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await db?.drop();
    await engine.drop(prefix);
  });

  const push = (t: TestServer) =>
    fetch(`${t.url}/api/cameras/${cam}/frame`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${producer}`, 'content-type': 'image/jpeg' },
      body: jpeg(3000),
    }).then((r) => r.json() as Promise<{ seq: number }>);

  it('frames of a camera nobody watches never cross the bus', async () => {
    for (let i = 0; i < 10; i++) await push(a);
    expect(await forwarded(a)).toBe(0);
  });

  it('a frame pushed to node A reaches a viewer on node B; stops crossing once B stops watching', async () => {
    const token = await b.tokenFor('frames-viewer', 'viewer');
    const ws = new WebSocket(wsUrl(b.url, { token }));
    const frames: number[] = [];
    ws.on('message', (data: Buffer, isBinary) => {
      if (isBinary) frames.push(decodeFrame(new Uint8Array(data))!.header.seq);
    });
    await new Promise((r) => ws.once('open', r));
    ws.send(JSON.stringify({ type: 'watch', camera_id: cam, max_fps: 15 }));
    // Node A learns that B watches (a presence hint), then forwards.
    await waitFor(async () => frames.length > 0 || ((await push(a)) && false), 'a frame from the other node', 10_000);
    expect(await forwarded(a)).toBeGreaterThan(0);
    ws.send(JSON.stringify({ type: 'unwatch', camera_id: cam }));
    ws.close();
    // Once A knows nobody watches on B any more, frames stay on A.
    await waitFor(
      async () => {
        const before = await forwarded(a);
        await push(a);
        await new Promise((r) => setTimeout(r, 100));
        return (await forwarded(a)) === before;
      },
      'forwarding to stop',
      10_000,
    );
    const settled = await forwarded(a);
    for (let i = 0; i < 5; i++) await push(a);
    await expectNothingFor(300, 'frames forwarded while nobody watches elsewhere', async () =>
      (await forwarded(a)) > settled ? ['forwarded'] : [],
    );
  });
});
