/**
 * permessage-deflate (issue 12, OPENEYE_WS_COMPRESSION): JSON messages above the threshold go
 * compressed to clients that negotiated it, built once per message; camera frames never.
 */
import { constants, inflateRawSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../src/testing.js';
import { rawRequest, text, upgradeLines } from './hardening/raw.js';
import { api, connect } from './helpers.js';

const inflate = (payload: Buffer) =>
  inflateRawSync(Buffer.concat([payload, Buffer.from([0x00, 0x00, 0xff, 0xff])]), {
    finishFlush: constants.Z_SYNC_FLUSH,
  }).toString('utf8');

describe('permessage-deflate, when enabled', () => {
  let t: TestServer;
  let producer: string;
  let viewer: string;
  let cam: number;

  beforeAll(async () => {
    t = await startTestServer({ env: { OPENEYE_WS_COMPRESSION: 'true', OPENEYE_WS_COMPRESSION_THRESHOLD: '200' } });
    producer = await t.tokenFor('zip-producer', 'producer');
    viewer = await t.tokenFor('zip-viewer', 'viewer');
    cam = (await api(t.url, 'POST', '/api/cameras', t.adminToken, { name: 'Zip' })).body.id;
  });
  afterAll(async () => {
    await t?.close();
  });

  it('is negotiated without context takeover; large JSON goes compressed, small JSON and frames plain', async () => {
    const raw = await rawRequest(
      t.port,
      upgradeLines(`/api/ws/statistics?token=${encodeURIComponent(viewer)}`, [
        'Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits',
      ]),
    );
    expect(raw.response.status).toBe(101);
    const welcome = await raw.next(0x1);
    // The welcome is long enough to go compressed too.
    expect(JSON.parse(welcome.rsv1 ? inflate(welcome.payload) : welcome.payload.toString()).type).toBe(
      'connection_status',
    );
    const ext = raw.response.headers['sec-websocket-extensions'] ?? '';
    expect(ext).toContain('permessage-deflate');
    expect(ext).toContain('server_no_context_takeover');
    expect(ext).toContain('client_no_context_takeover');
    const big = { text: 'the same words again and again '.repeat(40) };
    const event = await api(t.url, 'POST', `/api/cameras/${cam}/events`, producer, {
      event_type: 'motion_detected',
      data: big,
    });
    const frames = async () => {
      for (;;) {
        const f = await raw.next(0x1);
        const text = f.rsv1 ? inflate(f.payload) : f.payload.toString();
        const m = JSON.parse(text) as { type: string; id?: string };
        if (m.id === event.body.id) return { frame: f, message: m, text };
      }
    };
    const got = await frames();
    expect(got.frame.rsv1).toBe(true);
    expect(got.frame.payload.length).toBeLessThan(got.text.length / 3);
    expect(got.message).toEqual(event.body);
    // A small message (a pong) stays plain. (A statistics update for the event may come first.)
    raw.send(text('{"type":"ping"}'));
    let pong = await raw.next(0x1);
    while (JSON.parse(pong.rsv1 ? inflate(pong.payload) : pong.payload.toString()).type !== 'pong') {
      pong = await raw.next(0x1);
    }
    expect(pong.rsv1).toBe(false);
    // A camera frame is never compressed.
    raw.send(text(JSON.stringify({ type: 'watch', camera_id: cam })));
    const image = Buffer.alloc(4000, 0);
    image.set([0xff, 0xd8, 0xff]);
    await fetch(`${t.url}/api/cameras/${cam}/frame`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${producer}`, 'content-type': 'image/jpeg' },
      body: image,
    });
    const binary = await raw.next(0x2);
    expect(binary.rsv1).toBe(false);
    expect(binary.payload.length).toBe(24 + 4000);
    raw.destroy();
  });

  it('a ws client (which offers it) reads everything as sent; one that does not offer it gets plain frames', async () => {
    const zipped = connect(t.url, { token: viewer });
    const plain = connect(t.url, { token: viewer }, { perMessageDeflate: false });
    await zipped.next('connection_status');
    await plain.next('connection_status');
    expect(zipped.ws.extensions).toContain('permessage-deflate');
    expect(plain.ws.extensions).toBe('');
    const data = { zones: Array.from({ length: 50 }, (_, i) => `zone ${i}`) };
    const posted = await api(t.url, 'POST', `/api/cameras/${cam}/events`, producer, {
      event_type: 'person_detected',
      data,
    });
    for (const c of [zipped, plain]) {
      const got = await c.next('camera_event');
      expect(got).toEqual(posted.body);
    }
    zipped.close();
    plain.close();
  });
});
