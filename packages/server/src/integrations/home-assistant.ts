/**
 * Home Assistant MQTT discovery (HA ≥ 2024.11, device-based): one retained config message on
 * `<ha>/device/<device id>/config` with `dev`, `o` and `cmps`, whose entities read the retained
 * state topics of topics.ts. Pure: the publisher (mqtt-publish.ts) sends what these build.
 * Reference: test/fixtures/homeassistant/openeye-device-config.json (research notes, with sources).
 */
import { openeyeTopics } from './topics.js';

export interface DiscoveryInput {
  haPrefix: string;
  topicPrefix: string;
  /** `openeye_<installation id>`: stable across restarts and the same on every node. */
  deviceId: string;
  version: string;
  cameras: readonly { id: number; name: string }[];
  /** Cameras announced before and gone since: sent once as bare `{p}` stubs so HA removes them. */
  removedCameraIds?: readonly number[];
}

export interface DiscoveryMessage {
  topic: string;
  payload: Record<string, unknown>;
}

/** An entity id part: lower case, [a-z0-9_] only. */
export function slug(text: string): string {
  return (
    text
      .normalize('NFKD')
      .replace(/[\u0300-\u036f]/g, '')
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '_')
      .replace(/^_+|_+$/g, '')
      .slice(0, 48) || 'camera'
  );
}

export function discoveryTopic(haPrefix: string, deviceId: string): string {
  return `${haPrefix}/device/${deviceId}/config`;
}

const STATISTICS = [
  { key: 'people_total', name: 'Total people', icon: 'mdi:account-group', cls: 'measurement', unit: 'people' },
  { key: 'recognitions_today', name: 'Recognitions today', icon: 'mdi:face-recognition', cls: 'total_increasing' },
  { key: 'unknown_faces_today', name: 'Unknown faces today', icon: 'mdi:account-question', cls: 'total_increasing' },
  { key: 'open_alerts', name: 'Open alerts', icon: 'mdi:alert', cls: 'measurement' },
] as const;

/** The device config: the four figures, and per camera its last event and its online state. */
export function discoveryMessage(input: DiscoveryInput): DiscoveryMessage {
  const t = openeyeTopics(input.topicPrefix);
  const uid = (key: string) => `${input.deviceId}_${key}`;
  const cmps: Record<string, Record<string, unknown>> = {};
  for (const s of STATISTICS) {
    cmps[s.key] = {
      p: 'sensor',
      name: s.name,
      uniq_id: uid(s.key),
      def_ent_id: `sensor.openeye_${s.key}`,
      val_tpl: `{{ value_json.${s.key} }}`,
      stat_cla: s.cls,
      ...('unit' in s ? { unit_of_meas: s.unit } : {}),
      ic: s.icon,
    };
  }
  for (const c of input.cameras) {
    const key = `camera_${c.id}`;
    const name = c.name.slice(0, 64);
    cmps[`${key}_last_event`] = {
      p: 'sensor',
      name: `${name} last event`,
      uniq_id: uid(`${key}_last_event`),
      def_ent_id: `sensor.openeye_${slug(c.name)}_last_event`,
      stat_t: t.lastEvent(c.id),
      val_tpl: '{{ value_json.summary }}',
      json_attr_t: t.lastEvent(c.id),
      ic: 'mdi:cctv',
    };
    cmps[`${key}_online`] = {
      p: 'binary_sensor',
      name: `${name} online`,
      uniq_id: uid(`${key}_online`),
      def_ent_id: `binary_sensor.openeye_${slug(c.name)}_online`,
      stat_t: t.online(c.id),
      dev_cla: 'connectivity',
      pl_on: 'online',
      pl_off: 'offline',
      ent_cat: 'diagnostic',
    };
  }
  for (const id of input.removedCameraIds ?? []) {
    // HA removes a component that comes once as a bare platform stub (then it is left out).
    cmps[`camera_${id}_last_event`] = { p: 'sensor' };
    cmps[`camera_${id}_online`] = { p: 'binary_sensor' };
  }
  return {
    topic: discoveryTopic(input.haPrefix, input.deviceId),
    payload: {
      dev: { ids: [input.deviceId], name: 'OpenEye', mf: 'OpenEye', mdl: 'OpenEye Realtime', sw: input.version },
      o: { name: 'openeye-realtime', sw: input.version },
      avty: [{ t: t.status, pl_avail: 'online', pl_not_avail: 'offline' }],
      stat_t: t.statistics,
      qos: 1,
      cmps,
    },
  };
}
