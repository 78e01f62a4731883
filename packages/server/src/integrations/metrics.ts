/**
 * The integrations' Prometheus metrics, on the server's registry. Labels are fixed small sets
 * (source, kind, reason, connection name), never a topic, a camera name or a payload.
 */
import { Counter, Gauge, type Registry } from 'prom-client';

export interface IntegrationMetrics {
  connected: Gauge<'connection'>;
  reconnects: Counter<'connection'>;
  received: Counter<'source'>;
  mapped: Counter<'source' | 'kind'>;
  rejected: Counter<'source' | 'reason'>;
  skipped: Counter<'source' | 'reason'>;
  published: Counter<'kind'>;
}

const cache = new WeakMap<Registry, IntegrationMetrics>();

/** The metrics of `registry` (created once per registry). */
export function integrationMetrics(registry: Registry): IntegrationMetrics {
  const existing = cache.get(registry);
  if (existing) return existing;
  const registers = [registry];
  const m: IntegrationMetrics = {
    connected: new Gauge({
      name: 'openeye_mqtt_connected',
      help: '1 while this node is connected to the broker (frigate: the Frigate bridge; openeye: ingest and publishing)',
      labelNames: ['connection'],
      registers,
    }),
    reconnects: new Counter({
      name: 'openeye_mqtt_reconnects_total',
      help: 'Connection attempts after a loss or a failed attempt',
      labelNames: ['connection'],
      registers,
    }),
    received: new Counter({
      name: 'openeye_mqtt_messages_received_total',
      help: 'MQTT messages received on input topics, by source (frigate, mqtt)',
      labelNames: ['source'],
      registers,
    }),
    mapped: new Counter({
      name: 'openeye_mqtt_messages_mapped_total',
      help: 'Items stored from MQTT messages, by source and kind (camera_event, recognition, alert, camera, camera_status)',
      labelNames: ['source', 'kind'],
      registers,
    }),
    rejected: new Counter({
      name: 'openeye_mqtt_messages_rejected_total',
      help: 'MQTT messages refused, by source and reason (invalid_json, invalid_payload, too_large, retained, not_found, error)',
      labelNames: ['source', 'reason'],
      registers,
    }),
    skipped: new Counter({
      name: 'openeye_mqtt_messages_skipped_total',
      help: 'MQTT messages (or parts) deliberately not stored, by source and reason (duplicate, not_mapped, unknown_person, …)',
      labelNames: ['source', 'reason'],
      registers,
    }),
    published: new Counter({
      name: 'openeye_mqtt_messages_published_total',
      help: 'Messages published (and acknowledged by the broker), by kind',
      labelNames: ['kind'],
      registers,
    }),
  };
  cache.set(registry, m);
  return m;
}
