/** The Frigate mapping, pure, on the fixture payloads (test/fixtures/frigate, see its README). */
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type FrigateAction, type FrigateOptions, mapFrigateMessage, subLabel } from './frigate.js';

const dir = new URL('../../test/fixtures/frigate/', import.meta.url);
const fixture = (name: string) => fs.readFileSync(new URL(`${name}.json`, dir));
const o: FrigateOptions = { frigateUrl: 'http://frigate:5000' };
const map = (topic: string, payload: Buffer | string, opts = o) => mapFrigateMessage('frigate', topic, payload, opts);
const actions = (topic: string, name: string) => {
  const r = map(topic, fixture(name));
  if (!r.ok) throw new Error(`${name}: ${r.reason} ${r.detail}`);
  return r.actions;
};
const receipts = (a: FrigateAction[]) => a.map((x) => ('once' in x ? `${x.once.item} ${x.once.kind}` : x.kind));

describe('frigate/events', () => {
  it('a person: detected (zones, score) on new; the same receipt on every update; ended on end', () => {
    const [start] = actions('frigate/events', 'events-person-unrecognised-new');
    expect(start).toMatchObject({
      kind: 'camera_event',
      camera: 'driveway',
      eventType: 'person_detected',
      once: { source: 'frigate', item: '1784761488.112305-0wz7mc', kind: 'detected' },
      data: {
        source: 'frigate',
        frigate_id: '1784761488.112305-0wz7mc',
        label: 'person',
        score: 0.70703125,
        zones: ['driveway_entrance'],
        started_at: '2026-07-22T23:04:48.112Z',
        camera_snapshot_url: 'http://frigate:5000/api/driveway/latest.jpg',
        camera_mjpeg_url: 'http://frigate:5000/api/driveway',
      },
    });
    // No snapshot yet on `new` (has_snapshot false): no link.
    expect((start as { data: object }).data).not.toHaveProperty('snapshot_url');
    expect(receipts(actions('frigate/events', 'events-person-unrecognised-update'))).toEqual([
      '1784761488.112305-0wz7mc detected',
    ]);
    const end = actions('frigate/events', 'events-person-unrecognised-end');
    expect(receipts(end)).toEqual(['1784761488.112305-0wz7mc detected', '1784761488.112305-0wz7mc ended']);
    expect(end[1]).toMatchObject({
      eventType: 'person_ended',
      data: {
        zones: ['driveway_entrance'],
        ended_at: '2026-07-22T23:05:09.112Z',
        duration_s: 21,
        snapshot_url: 'http://frigate:5000/api/events/1784761488.112305-0wz7mc/snapshot.jpg',
        thumbnail_url: 'http://frigate:5000/api/events/1784761488.112305-0wz7mc/thumbnail.jpg',
      },
    });
  });

  it('links in events never carry the credentials of OPENEYE_FRIGATE_URL (every viewer gets them)', () => {
    const withUser = { frigateUrl: 'http://openeye:s3cret@frigate:5000' };
    for (const [topic, name] of [
      ['frigate/events', 'events-person-unrecognised-new'],
      ['frigate/events', 'events-person-unrecognised-end'],
      ['frigate/reviews', 'reviews-alert-end'],
    ] as const) {
      const r = map(topic, fixture(name), withUser);
      if (!r.ok) throw new Error(name);
      const text = JSON.stringify(r.actions);
      expect(text).not.toContain('s3cret');
      expect(text).not.toContain('openeye:');
      expect(text).toContain('"http://frigate:5000/');
    }
  });

  it("a recognised person's sub label is a recognition, one receipt per object and name", () => {
    const update = actions('frigate/events', 'events-person-recognised-update');
    expect(update[1]).toMatchObject({
      kind: 'recognition',
      camera: 'front_door',
      name: 'Maria',
      confidence: 0.9312,
      once: { item: '1784761203.507912-h4q8zt', kind: 'face:maria' },
    });
    const end = actions('frigate/events', 'events-person-recognised-end');
    expect(receipts(end)).toEqual([
      '1784761203.507912-h4q8zt detected',
      '1784761203.507912-h4q8zt face:maria',
      '1784761203.507912-h4q8zt ended',
    ]);
  });

  it('other labels are camera events; a car with its plate, never a recognition', () => {
    for (const f of ['events-car-new', 'events-car-update', 'events-car-end']) {
      const a = actions('frigate/events', f);
      expect(a.every((x) => x.kind === 'camera_event')).toBe(true);
      expect(a[0]).toMatchObject({ eventType: 'object_detected', data: { label: 'car' } });
    }
    const end = actions('frigate/events', 'events-car-end');
    expect(end[1]).toMatchObject({ eventType: 'object_ended', data: { label: 'car', license_plate: 'KX 4821' } });
  });

  it('without OPENEYE_FRIGATE_URL: no links', () => {
    const r = map('frigate/events', fixture('events-person-recognised-end'), { frigateUrl: null });
    expect(JSON.stringify(r)).not.toContain('http');
  });

  it('sub_label in every shape', () => {
    expect(subLabel(null)).toBeNull();
    expect(subLabel(['Maria', 0.93])).toEqual({ name: 'Maria', score: 0.93 });
    expect(subLabel(['Maria', null])).toEqual({ name: 'Maria', score: null });
    expect(subLabel([null, null])).toBeNull();
    expect(subLabel('Maria')).toEqual({ name: 'Maria', score: null });
    expect(subLabel(['amazon', 0.8])).toBeNull();
    expect(subLabel(['Maria', 7])).toEqual({ name: 'Maria', score: null });
  });
});

describe('frigate/tracked_object_update', () => {
  it('a named face: a recognition of that name', () => {
    expect(actions('frigate/tracked_object_update', 'tracked-object-update-face-named')).toEqual([
      {
        kind: 'recognition',
        camera: 'front_door',
        name: 'Maria',
        confidence: 0.9312,
        occurredAt: '2026-07-22T23:00:06.449Z',
        once: { source: 'frigate', item: '1784761203.507912-h4q8zt', kind: 'face:maria' },
      },
    ]);
  });

  it('a face Frigate could not name: an unknown-face recognition (no score), once per object', () => {
    expect(actions('frigate/tracked_object_update', 'tracked-object-update-face-unknown')).toEqual([
      expect.objectContaining({
        name: null,
        confidence: null,
        once: expect.objectContaining({ kind: 'face:unknown' }),
      }),
    ]);
  });

  it('other update types are skipped, not refused', () => {
    const r = map('frigate/tracked_object_update', JSON.stringify({ type: 'description', id: 'x', description: 'a' }));
    expect(r).toEqual({ ok: true, actions: [], skipped: 'not_mapped' });
  });
});

describe('frigate/reviews', () => {
  it('an alert review: one alert (same receipt on new, update and end); updates for the lifecycle', () => {
    const [alert] = actions('frigate/reviews', 'reviews-alert-new');
    expect(alert).toMatchObject({
      kind: 'alert',
      camera: 'front_door',
      message: 'Frigate alert on front_door: person in porch',
      once: { source: 'frigate', item: '1784761204.307912-ub1l7d', kind: 'alert' },
      data: {
        review_id: '1784761204.307912-ub1l7d',
        camera_name: 'front_door',
        thumbnail_url: 'http://frigate:5000/clips/review/thumb-front_door-1784761204.307912-ub1l7d.webp',
      },
    });
    const update = actions('frigate/reviews', 'reviews-alert-update');
    expect(receipts(update)).toEqual(['1784761204.307912-ub1l7d alert', 'alert_update']);
    expect(update[1]).toMatchObject({ status: 'updated', data: { sub_labels: ['Maria'], objects: ['person'] } });
    const end = actions('frigate/reviews', 'reviews-alert-end');
    expect(end[1]).toMatchObject({ status: 'ended', data: { ended_at: '2026-07-22T23:00:15.408Z' } });
  });

  it('detection reviews and genai messages are skipped', () => {
    for (const f of ['reviews-detection-new', 'reviews-detection-update', 'reviews-detection-end']) {
      expect(map('frigate/reviews', fixture(f))).toEqual({ ok: true, actions: [], skipped: 'detection_review' });
    }
    const genai = JSON.parse(String(fixture('reviews-alert-end')));
    genai.type = 'genai';
    expect(map('frigate/reviews', JSON.stringify(genai))).toMatchObject({ skipped: 'genai' });
  });
});

describe('bad input', () => {
  it('not JSON, the wrong shape, too large, too deep', () => {
    expect(map('frigate/events', 'not json{')).toMatchObject({ ok: false, reason: 'invalid_json' });
    expect(map('frigate/events', '{"type":"new","after":{"id":1}}')).toMatchObject({
      ok: false,
      reason: 'invalid_payload',
    });
    expect(map('frigate/events', Buffer.alloc(300 * 1024, 0x20))).toMatchObject({ ok: false, reason: 'too_large' });
    expect(map('frigate/events', `${'['.repeat(100)}${']'.repeat(100)}`)).toMatchObject({ reason: 'invalid_json' });
  });

  it('a camera name of 10 KB is refused', () => {
    const e = JSON.parse(String(fixture('events-person-unrecognised-new')));
    e.after.camera = 'x'.repeat(10 * 1024);
    expect(map('frigate/events', JSON.stringify(e))).toMatchObject({ ok: false, reason: 'invalid_payload' });
    expect(map(`frigate/${'x'.repeat(10 * 1024)}/status/detect`, 'online')).toMatchObject({ ok: false });
  });

  it('a score out of range is refused', () => {
    const e = JSON.parse(String(fixture('events-person-unrecognised-new')));
    e.after.top_score = 1.5;
    expect(map('frigate/events', JSON.stringify(e))).toMatchObject({ ok: false, reason: 'invalid_payload' });
    const f = JSON.parse(String(fixture('tracked-object-update-face-named')));
    f.score = -0.1;
    expect(map('frigate/tracked_object_update', JSON.stringify(f))).toMatchObject({ ok: false });
  });

  it('camera status: online, offline, disabled only', () => {
    expect(map('frigate/front_door/status/detect', 'online')).toEqual({
      ok: true,
      actions: [{ kind: 'camera_status', camera: 'front_door', online: true }],
    });
    expect(map('frigate/front_door/status/detect', 'disabled')).toMatchObject({ actions: [{ online: false }] });
    expect(map('frigate/front_door/status/detect', 'maybe')).toMatchObject({ ok: false });
    expect(map('frigate/stats', '{}')).toMatchObject({ ok: true, skipped: 'not_mapped' });
  });
});
