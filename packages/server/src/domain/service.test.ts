import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BusMessage, EventPublisher } from '../cluster/engine.js';
import { Store } from '../store/index.js';
import { DomainService } from './service.js';

let dir: string;
let store: Store;
let published: BusMessage[];
let domain: DomainService;

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'openeye-domain-'));
  store = await Store.open({ databaseUrl: null, dataDir: dir });
  published = [];
  const bus: EventPublisher = { publish: (m) => published.push(m) };
  domain = new DomainService(store, bus, () => new Date('2026-12-01T12:00:00.000Z'));
});

afterEach(async () => {
  await store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const eventIds = () => published.flatMap((m) => (m.kind === 'events' ? m.events.map((e) => Number(e.id)) : []));

describe('DomainService', () => {
  it('an unknown face is stored with its camera event and warning alert in one write, published in id order', async () => {
    const camera = await domain.createCamera({ name: 'Door' });
    published.length = 0;
    const r = await domain.createRecognition({ camera_id: camera.id, person_id: null, confidence: 0.4 });
    expect(r.alert).toMatchObject({
      alert_type: 'warning',
      data: { message: 'Unknown face detected', camera_id: camera.id },
    });
    const events = published.find((m) => m.kind === 'events');
    expect(events?.kind === 'events' && events.events.map((e) => e.type)).toEqual(['camera_event', 'alert']);
    expect(published.at(-1)).toEqual({ kind: 'changed' });
    expect(await store.events.after(0, 10)).toEqual(events?.kind === 'events' ? events.events : []);
  });

  it('a write with a receipt is stored once: the repeat stores and publishes nothing (409 duplicate)', async () => {
    const camera = await domain.createCamera({ name: 'Porch' }, 'frigate');
    expect(camera.source).toBe('frigate');
    expect((await domain.createCamera({ name: 'Plain' })).source).toBeUndefined();
    published.length = 0;
    const once = { source: 'frigate', item: '1784761203.507912-h4q8zt', kind: 'face:unknown' };
    const first = await domain.createRecognition({ camera_id: camera.id, person_id: null }, { once });
    await expect(domain.createRecognition({ camera_id: camera.id, person_id: null }, { once })).rejects.toMatchObject({
      status: 409,
      code: 'duplicate',
    });
    expect(eventIds()).toHaveLength(2);
    expect(await store.receipts.find(once)).toBe(first.alert ? String(Number(first.alert.id) - 1) : '');
    // A failing write leaves no receipt: the same key works afterwards.
    const later = { source: 'mqtt', item: 'k1', kind: 'camera_event' };
    await expect(domain.postCameraEvent(999, 'x', {}, { once: later })).rejects.toMatchObject({
      status: 404,
    });
    expect(await store.receipts.find(later)).toBeNull();
    await domain.postCameraEvent(camera.id, 'x', {}, { once: later });
    expect(await store.receipts.prune('2999-01-01T00:00:00.000Z')).toBe(2);
  });

  it('a write that fails stores and publishes nothing', async () => {
    await expect(domain.createRecognition({ camera_id: 42, person_id: null })).rejects.toMatchObject({ status: 404 });
    await expect(
      domain.createAlert({ alert_type: 'info', message: 'x', data: { camera_id: 'abc' } }),
    ).rejects.toMatchObject({ status: 400, field: 'data.camera_id' });
    expect(published).toEqual([]);
    expect(await store.events.newestId()).toBeNull();
  });

  it('concurrent writes publish their events in id order', async () => {
    const camera = await domain.createCamera({ name: 'Hall' });
    published.length = 0;
    await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        i % 2
          ? domain.postCameraEvent(camera.id, 'motion_detected', { i })
          : domain.createAlert({ alert_type: 'info', message: `a${i}` }),
      ),
    );
    const ids = eventIds();
    expect(ids).toHaveLength(30);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
  });

  it('a camera going offline and stopping recording becomes two camera events', async () => {
    const camera = await domain.createCamera({ name: 'Yard', recording: true });
    published.length = 0;
    await domain.updateCamera(camera.id, { active: false, recording: false });
    const events = published.find((m) => m.kind === 'events');
    expect(
      events?.kind === 'events' && events.events.map((e) => (e.type === 'camera_event' ? e.event_type : '')),
    ).toEqual(['camera_offline', 'recording_stopped']);
  });

  it('refuses server-only alert fields and oversized or too deep data', async () => {
    for (const data of [
      { broadcast: true },
      { from: 'admin' },
      { x: 'y'.repeat(17_000) },
      { a: { b: { c: { d: { e: { f: { g: { h: { i: 1 } } } } } } } } },
    ]) {
      await expect(domain.createAlert({ alert_type: 'info', message: 'x', data })).rejects.toMatchObject({
        status: 400,
      });
    }
    expect(published).toEqual([]);
  });

  it('the admin broadcast carries who sent it', async () => {
    const alert = await domain.broadcast('Drill at noon', 'info', 'alice');
    expect(alert.data).toEqual({ message: 'Drill at noon', broadcast: true, from: 'alice' });
  });
});
