/**
 * Publishing out (topics.ts): every stored alert and camera event, in id order, QoS 1, from a cursor
 * kept in the store (`meta`), so a node that takes the integrations lease over goes on from where the
 * last holder's broker acknowledgements stopped: nothing skipped, a few repeated at most (subscribers
 * can tell by the event `id`). The bus only says "there is more"; the events are read from the store.
 *
 * Also: availability (`online` retained; the connection's last will publishes `offline`), the
 * figures (retained), per camera its last event and online state (retained), and Home Assistant
 * discovery (home-assistant.ts), announced again when Home Assistant says `online`.
 */
import { randomBytes } from 'node:crypto';
import type { Camera, EventMessage } from '@openeye/protocol';
import type { BusMessage } from '../cluster/engine.js';
import type { DomainService } from '../domain/service.js';
import type { StatisticsService } from '../domain/statistics.js';
import type { Logger } from '../logger.js';
import type { Store } from '../store/index.js';
import type { AlertLifecycleHook } from './alert-lifecycle.js';
import { discoveryMessage } from './home-assistant.js';
import type { IntegrationMetrics } from './metrics.js';
import type { MqttConnection } from './mqtt-connection.js';
import { openeyeTopics } from './topics.js';

const BATCH = 200;
const STATISTICS_EVERY_MS = 60_000;

export interface PublisherOptions {
  prefix: string;
  /** null: no Home Assistant discovery. */
  haPrefix: string | null;
  version: string;
}

/** The last-event state of a camera: `summary` is the HA sensor's state (≤ 255 characters). */
export function lastEventState(e: EventMessage & { type: 'camera_event' }): Record<string, unknown> {
  const d = e.data as Record<string, unknown>;
  const str = (v: unknown) => (typeof v === 'string' ? v : null);
  const zones = Array.isArray(d.zones) ? d.zones.filter((z): z is string => typeof z === 'string') : [];
  const name = str(d.person_name) ?? str(d.sub_label);
  const label = str(d.label);
  let summary: string;
  switch (e.event_type) {
    case 'face_recognized':
      summary = `${name ?? 'Someone'} recognised`;
      break;
    case 'unknown_face':
      summary = 'Unknown face';
      break;
    case 'person_detected':
    case 'object_detected':
      summary = `${name ?? label ?? 'Object'}${zones.length ? ` at ${zones.join(', ')}` : ''}`;
      break;
    default:
      summary = e.event_type.replaceAll('_', ' ');
  }
  return {
    summary: summary.slice(0, 255),
    event_id: e.id,
    event_type: e.event_type,
    label,
    name,
    at: e.timestamp,
  };
}

export class MqttPublisher {
  private readonly t: ReturnType<typeof openeyeTopics>;
  private conn: MqttConnection | null = null;
  private cursor = 0;
  private pumping: Promise<void> | null = null;
  private again = false;
  /** Bumped on deactivate: a pump of an earlier activation (stuck on a closed connection) is left behind. */
  private generation = 0;
  private statisticsTimer: NodeJS.Timeout | null = null;
  private statisticsSoon: NodeJS.Timeout | null = null;
  private camerasSoon: NodeJS.Timeout | null = null;
  /** Cameras announced (id → name and state), to publish only what changed. */
  private announced = new Map<number, { name: string; active: boolean }>();
  private deviceId = '';

  constructor(
    private readonly o: PublisherOptions,
    private readonly store: Store,
    private readonly domain: DomainService,
    private readonly statistics: StatisticsService,
    private readonly lifecycle: AlertLifecycleHook,
    private readonly metrics: IntegrationMetrics,
    private readonly log: Logger,
  ) {
    this.t = openeyeTopics(o.prefix);
  }

  private get cursorKey(): string {
    return `mqtt_out_cursor:${this.o.prefix}`;
  }

  /** This node holds the lease and `conn` is connecting: start from the stored cursor. */
  async activate(conn: MqttConnection): Promise<void> {
    this.conn = conn;
    const stored = await this.store.meta.get(this.cursorKey);
    // The first time: from now on (the history is for resume, not for a new subscriber).
    this.cursor = stored === null ? ((await this.store.events.newestId()) ?? 0) : Number(stored);
    if (stored === null) await this.store.meta.set(this.cursorKey, String(this.cursor));
    this.deviceId = `openeye_${await this.store.meta.getOrSet('installation_id', randomHex())}`;
    this.announced.clear();
    this.statisticsTimer = setInterval(() => void this.publishStatistics(), STATISTICS_EVERY_MS);
    this.statisticsTimer.unref();
  }

  deactivate(): void {
    this.conn = null;
    this.generation++;
    this.pumping = null;
    for (const t of [this.statisticsTimer, this.statisticsSoon, this.camerasSoon]) if (t) clearTimeout(t);
    this.statisticsTimer = this.statisticsSoon = this.camerasSoon = null;
  }

  /** After every (re)connect: availability, discovery, states, then whatever the cursor has not sent. */
  async onConnect(): Promise<void> {
    const conn = this.conn;
    if (!conn) return;
    try {
      await conn.publish(this.t.status, 'online', { qos: 1, retain: true });
      this.announced.clear();
      await this.publishCameras(true);
      await this.publishStatistics();
    } catch (err) {
      this.log.warn({ event: 'mqtt.publish_failed', err }, 'MQTT: publishing the state after connecting failed');
    }
    this.pump();
  }

  /** Home Assistant (re)started: announce again (after a short random pause, as its docs ask). */
  onHomeAssistantStatus(payload: string): void {
    if (payload.trim() !== 'online' || !this.o.haPrefix) return;
    const t = setTimeout(
      () => {
        this.announced.clear();
        void this.publishCameras(true)
          .then(() => this.publishStatistics())
          .catch(() => {});
      },
      500 + Math.random() * 1500,
    );
    t.unref();
  }

  /** From the bus: new events (publish them), or a change (figures, cameras). */
  onBus(m: BusMessage): void {
    if (!this.conn) return;
    if (m.kind === 'events') this.pump();
    else if (m.kind === 'changed') {
      this.soon('statisticsSoon', 300, () => this.publishStatistics());
      this.soon('camerasSoon', 300, () => this.publishCameras(false));
    }
  }

  /** A safety net for a lossy bus: called on a timer. */
  poll(): void {
    if (this.conn?.connected) this.pump();
  }

  private soon(which: 'statisticsSoon' | 'camerasSoon', ms: number, fn: () => Promise<void>): void {
    if (this[which]) return;
    this[which] = setTimeout(() => {
      this[which] = null;
      fn().catch(() => {});
    }, ms);
  }

  /** Publishes everything after the cursor, one batch at a time; one pump at a time. */
  pump(): void {
    if (this.pumping) {
      this.again = true;
      return;
    }
    const generation = this.generation;
    const run = (async () => {
      do {
        this.again = false;
        await this.drain(generation).catch((err) => {
          this.log.warn({ event: 'mqtt.publish_failed', err }, 'MQTT: publishing events failed; retried later');
        });
      } while (this.again && this.conn?.connected && generation === this.generation);
    })().finally(() => {
      if (this.pumping === run) this.pumping = null;
    });
    this.pumping = run;
  }

  /** Resolves when nothing is being published (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.pumping) await this.pumping;
  }

  private async drain(generation: number): Promise<void> {
    for (;;) {
      const conn = this.conn;
      if (!conn?.connected || generation !== this.generation) return;
      const events = await this.store.events.after(this.cursor, BATCH);
      if (events.length === 0) return;
      let alerts = false;
      await Promise.all(
        events.flatMap((e) => {
          const out = [this.publishEvent(conn, e)];
          if (e.type === 'camera_event') {
            out.push(
              conn.publish(this.t.lastEvent(e.camera_id), JSON.stringify(lastEventState(e)), { qos: 1, retain: true }),
            );
          } else alerts = true;
          return out;
        }),
      );
      if (generation !== this.generation) return;
      // Acknowledged by the broker: the next holder starts after these.
      this.cursor = Number(events[events.length - 1]!.id);
      await this.store.meta.set(this.cursorKey, String(this.cursor));
      if (alerts) this.soon('statisticsSoon', 300, () => this.publishStatistics());
    }
  }

  private async publishEvent(conn: MqttConnection, e: EventMessage): Promise<void> {
    const type = (e as { type: string }).type;
    const topic =
      e.type === 'camera_event'
        ? this.t.cameraEvents(e.camera_id)
        : e.type === 'alert'
          ? this.t.alerts
          : // The alert lifecycle's state changes, once they are stored events.
            type === 'alert_update'
            ? this.t.alertUpdates
            : this.t.other(type);
    await conn.publish(topic, JSON.stringify(e), { qos: 1 });
    this.metrics.published.inc({ kind: type });
  }

  private async publishStatistics(): Promise<void> {
    const conn = this.conn;
    if (!conn?.connected) return;
    const [s, open, since] = await Promise.all([
      this.statistics.snapshot(),
      this.lifecycle.openAlerts(),
      this.statistics.dayStart(),
    ]);
    const payload = {
      people_total: s.face_recognition.total_people,
      recognitions_today: s.face_recognition.recognitions_today,
      unknown_faces_today: s.face_recognition.unknown_faces_today,
      open_alerts: open,
      alerts_today: await this.store.events.countSince('alert', since),
      last_recognition: s.face_recognition.last_recognition,
      cameras_total: s.cameras.total_cameras,
      cameras_active: s.cameras.active_cameras,
      cameras_recording: s.cameras.recording_cameras,
      timestamp: s.timestamp,
    };
    await conn.publish(this.t.statistics, JSON.stringify(payload), { qos: 1, retain: true });
    this.metrics.published.inc({ kind: 'statistics' });
  }

  /** Camera online states and, when the set of cameras changed, the discovery config. */
  private async publishCameras(force: boolean): Promise<void> {
    const conn = this.conn;
    if (!conn?.connected) return;
    const cameras: Camera[] = await this.domain.listCameras();
    const before = this.announced;
    const now = new Map(cameras.map((c) => [c.id, { name: c.name, active: c.active }]));
    const removed = [...before.keys()].filter((id) => !now.has(id));
    const renamed = cameras.some((c) => before.get(c.id)?.name !== c.name);
    const publishes: Promise<void>[] = [];
    for (const c of cameras) {
      if (force || before.get(c.id)?.active !== c.active) {
        publishes.push(conn.publish(this.t.online(c.id), c.active ? 'online' : 'offline', { qos: 1, retain: true }));
      }
    }
    for (const id of removed) {
      // Clear the retained states of a deleted camera.
      publishes.push(conn.publish(this.t.online(id), '', { qos: 1, retain: true }));
      publishes.push(conn.publish(this.t.lastEvent(id), '', { qos: 1, retain: true }));
    }
    await Promise.all(publishes);
    this.announced = now;
    if (this.o.haPrefix && (force || renamed || removed.length > 0)) {
      const input = {
        haPrefix: this.o.haPrefix,
        topicPrefix: this.o.prefix,
        deviceId: this.deviceId,
        version: this.o.version,
        cameras: cameras.map((c) => ({ id: c.id, name: c.name })),
      };
      if (removed.length > 0) {
        const stubs = discoveryMessage({ ...input, removedCameraIds: removed });
        await conn.publish(stubs.topic, JSON.stringify(stubs.payload), { qos: 1, retain: true });
      }
      const d = discoveryMessage(input);
      await conn.publish(d.topic, JSON.stringify(d.payload), { qos: 1, retain: true });
      this.metrics.published.inc({ kind: 'discovery' });
    }
  }
}

function randomHex(): string {
  return randomBytes(3).toString('hex');
}
