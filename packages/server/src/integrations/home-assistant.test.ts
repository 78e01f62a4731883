/** Home Assistant discovery payloads, checked against the reference config of the research notes. */
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { discoveryMessage, slug } from './home-assistant.js';

const reference = JSON.parse(
  fs.readFileSync(new URL('../../test/fixtures/homeassistant/openeye-device-config.json', import.meta.url), 'utf8'),
) as { cmps: Record<string, Record<string, unknown>> } & Record<string, unknown>;

const input = {
  haPrefix: 'homeassistant',
  topicPrefix: 'openeye',
  deviceId: 'openeye_7f3a9c',
  version: '0.1.0',
  cameras: [
    { id: 1, name: 'Front door' },
    { id: 2, name: 'Driveway' },
  ],
};

describe('Home Assistant device discovery', () => {
  const { topic, payload } = discoveryMessage(input);
  const cmps = payload.cmps as Record<string, Record<string, unknown>>;

  it('is one device config on <ha>/device/<id>/config with dev, o, availability and cmps', () => {
    expect(topic).toBe('homeassistant/device/openeye_7f3a9c/config');
    expect(Object.keys(payload).sort()).toEqual(['avty', 'cmps', 'dev', 'o', 'qos', 'stat_t']);
    expect(payload.dev).toMatchObject({ ids: ['openeye_7f3a9c'], name: 'OpenEye', mf: 'OpenEye' });
    expect(payload.o).toMatchObject({ name: 'openeye-realtime', sw: '0.1.0' });
    expect(payload.avty).toEqual([{ t: 'openeye/status', pl_avail: 'online', pl_not_avail: 'offline' }]);
    expect(payload.stat_t).toBe('openeye/out/statistics');
  });

  it('has the four figures exactly as the reference (but our topics)', () => {
    for (const key of ['people_total', 'recognitions_today', 'unknown_faces_today', 'open_alerts']) {
      expect(cmps[key]).toEqual(reference.cmps[key]);
    }
  });

  it('per camera: last event (sensor) and online (connectivity), with unique ids and default_entity_id', () => {
    expect(cmps.camera_1_last_event).toEqual({
      ...reference.cmps.front_door_last_event,
      uniq_id: 'openeye_7f3a9c_camera_1_last_event',
      stat_t: 'openeye/out/cameras/1/last_event',
      json_attr_t: 'openeye/out/cameras/1/last_event',
    });
    expect(cmps.camera_2_online).toEqual({
      ...reference.cmps.driveway_online,
      uniq_id: 'openeye_7f3a9c_camera_2_online',
      stat_t: 'openeye/out/cameras/2/online',
    });
    // Every entity component has p and a unique id; none uses the deprecated object_id.
    for (const c of Object.values(cmps)) {
      expect(c.p).toMatch(/^(sensor|binary_sensor)$/);
      expect(c.uniq_id).toBeTypeOf('string');
      expect(c).not.toHaveProperty('obj_id');
      expect(c).not.toHaveProperty('object_id');
    }
    expect(new Set(Object.values(cmps).map((c) => c.uniq_id)).size).toBe(Object.keys(cmps).length);
  });

  it('a removed camera is sent once as bare platform stubs', () => {
    const { payload: p } = discoveryMessage({ ...input, cameras: [input.cameras[0]!], removedCameraIds: [2] });
    const c = p.cmps as Record<string, unknown>;
    expect(c.camera_2_last_event).toEqual({ p: 'sensor' });
    expect(c.camera_2_online).toEqual({ p: 'binary_sensor' });
  });

  it('entity ids from any camera name', () => {
    expect(slug('Front door')).toBe('front_door');
    expect(slug('Café — Entrée #2')).toBe('cafe_entree_2');
    expect(slug('%%%')).toBe('camera');
  });
});
