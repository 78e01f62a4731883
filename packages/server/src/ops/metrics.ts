/**
 * Prometheus metrics (prom-client), one registry per server instance. No label ever holds a user id
 * or token, and every label has a bounded set of values. The process and Node.js metrics carry
 * prom-client's standard names (`process_*`, `nodejs_*`), as every Node.js dashboard expects them.
 */
import { readFileSync } from 'node:fs';
import { ALERT_TYPES, type EventMessage, KNOWN_CAMERA_EVENT_TYPES } from '@openeye/protocol';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { PullMetrics } from '../media/pull.js';
import type { MediaMetrics } from '../media/viewers.js';

export interface HubMetrics {
  media: MediaMetrics;
  connections: Gauge;
  handshakes: Counter<'outcome'>;
  messagesSent: Counter<'type'>;
  fanoutSeconds: Histogram;
  flushSeconds: Histogram;
  slowConsumerCloses: Counter;
}

/** What the domain metrics read at scrape time. */
export interface DomainGauges {
  /** Alerts in state `open` by severity (alert type), from the alert store (cluster-wide). */
  openAlerts(): Promise<Record<string, number>>;
  /** The cluster engine: its name and whether it is connected (`local`: always). */
  engine(): { name: string; up: boolean };
}

export interface Metrics extends HubMetrics {
  registry: Registry;
  /** Events this node stored (after their transaction committed). */
  eventsStored(events: readonly EventMessage[]): void;
  /** Recognitions this node stored. */
  recognition(result: 'known' | 'unknown'): void;
  /** Where the gauges read from (set once the store and engine exist). */
  domainGauges: DomainGauges | null;
  mediaFramesIngested: Counter<'source'>;
  mediaFramesForwarded: Counter;
  /** Cameras' own URLs, pulled while watched (media/pull.ts). */
  pull: PullMetrics;
  httpRequests: Counter<'method' | 'route' | 'status'>;
  httpDuration: Histogram<'method' | 'route'>;
}

/** The version of @openeye/server (package.json is two levels above both src/ops and dist/ops). */
function packageVersion(): string {
  const url = new URL('../../package.json', import.meta.url);
  return (JSON.parse(readFileSync(url, 'utf8')) as { version: string }).version;
}

const ALERT_SEVERITIES = ALERT_TYPES;
const KNOWN_EVENT_TYPES = new Set<string>(KNOWN_CAMERA_EVENT_TYPES);

/** The `event_type` label of a stored event: bounded (free-form camera event types are `other`). */
function eventTypeLabel(e: EventMessage): string {
  if (e.type === 'camera_event') return KNOWN_EVENT_TYPES.has(e.event_type) ? e.event_type : 'other';
  if (e.type === 'alert') return e.alert_type;
  return e.action;
}

export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  new Gauge({
    name: 'openeye_build_info',
    help: 'The running version of OpenEye Realtime (always 1)',
    labelNames: ['version'],
    registers: [registry],
  }).set({ version: packageVersion() }, 1);
  const eventsStored = new Counter({
    name: 'openeye_events_stored_total',
    help: 'Events stored by this node, by type (camera_event, alert, alert_update) and event type (camera event type, alert severity, alert action; free-form camera event types count as other)',
    labelNames: ['type', 'event_type'],
    registers: [registry],
  });
  const recognitions = new Counter({
    name: 'openeye_recognitions_total',
    help: 'Recognitions stored by this node, known or unknown faces',
    labelNames: ['result'],
    registers: [registry],
  });
  const alertsRaised = new Counter({
    name: 'openeye_alerts_total',
    help: 'Alerts raised on this node (by producers, recognitions of unknown faces, camera offline, broadcasts), by severity',
    labelNames: ['severity'],
    registers: [registry],
  });
  for (const severity of ALERT_SEVERITIES) alertsRaised.inc({ severity }, 0);
  for (const result of ['known', 'unknown']) recognitions.inc({ result }, 0);
  let domainGauges: DomainGauges | null = null;
  new Gauge({
    name: 'openeye_alerts_open',
    help: 'Alerts open now (raised, not acknowledged or resolved), by severity; the whole cluster (every node reports the same)',
    labelNames: ['severity'],
    registers: [registry],
    async collect() {
      if (!domainGauges) return;
      const counts = await domainGauges.openAlerts().catch(() => null);
      this.reset();
      if (!counts) return;
      for (const severity of ALERT_SEVERITIES) this.set({ severity }, counts[severity] ?? 0);
    },
  });
  new Gauge({
    name: 'openeye_cluster_engine_up',
    help: 'Whether this node is connected to its cluster engine (redis, nats; local is always 1)',
    labelNames: ['engine'],
    registers: [registry],
    collect() {
      if (!domainGauges) return;
      const { name, up } = domainGauges.engine();
      this.reset();
      this.set({ engine: name }, up ? 1 : 0);
    },
  });
  const framesDelivered = new Counter({
    name: 'openeye_media_frames_delivered_total',
    help: 'Camera frames written to viewers',
    registers: [registry],
  });
  const bytesDelivered = new Counter({
    name: 'openeye_media_bytes_delivered_total',
    help: 'Bytes of camera frames written to viewers',
    registers: [registry],
  });
  const framesDropped = new Counter({
    name: 'openeye_media_frames_dropped_total',
    help: 'Camera frames a viewer did not get: superseded by a newer one before it could be sent, or its watch ended',
    labelNames: ['reason'],
    registers: [registry],
  });
  // Children, not `inc({reason})`: a superseded frame is counted per viewer, thousands a second.
  const superseded = framesDropped.labels('superseded');
  const closedWatch = framesDropped.labels('closed');
  const framesIngested = new Counter({
    name: 'openeye_media_frames_ingested_total',
    help: 'Camera frames received, by source (http, socket, pull, demo, cluster)',
    labelNames: ['source'],
    registers: [registry],
  });
  const pullErrors = new Counter({
    name: 'openeye_media_pull_errors_total',
    help: "Failures pulling frames from a camera's snapshot_url or mjpeg_url, by kind",
    labelNames: ['kind'],
    registers: [registry],
  });
  const pullSessions = new Gauge({
    name: 'openeye_media_pull_sessions',
    help: 'Cameras this node is pulling frames from now (a stream open, or snapshots being fetched)',
    registers: [registry],
  });
  return {
    registry,
    eventsStored(events) {
      for (const e of events) {
        eventsStored.inc({ type: e.type, event_type: eventTypeLabel(e) });
        if (e.type === 'alert') alertsRaised.inc({ severity: e.alert_type });
      }
    },
    recognition: (result) => recognitions.inc({ result }),
    get domainGauges() {
      return domainGauges;
    },
    set domainGauges(gauges) {
      domainGauges = gauges;
    },
    pull: {
      framePulled: () => framesIngested.inc({ source: 'pull' }),
      pullError: (kind) => pullErrors.inc({ kind }),
      sessions: (delta) => pullSessions.inc(delta),
    },
    media: {
      framesDelivered: (n, bytes) => {
        framesDelivered.inc(n);
        bytesDelivered.inc(bytes);
      },
      framesDropped: (reason, n = 1) => (reason === 'superseded' ? superseded : closedWatch).inc(n),
    },
    mediaFramesForwarded: new Counter({
      name: 'openeye_media_frames_forwarded_total',
      help: 'Camera frames sent to the other nodes (only for cameras watched there)',
      registers: [registry],
    }),
    mediaFramesIngested: framesIngested,
    httpRequests: new Counter({
      name: 'openeye_http_requests_total',
      help: 'HTTP requests by method, route pattern and status',
      labelNames: ['method', 'route', 'status'],
      registers: [registry],
    }),
    httpDuration: new Histogram({
      name: 'openeye_http_request_duration_seconds',
      help: 'HTTP request latency',
      labelNames: ['method', 'route'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    connections: new Gauge({
      name: 'openeye_ws_connections',
      help: 'Open WebSocket connections on this node',
      registers: [registry],
    }),
    handshakes: new Counter({
      name: 'openeye_ws_handshakes_total',
      help: 'WebSocket handshakes by outcome (accepted or the rejection reason)',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    messagesSent: new Counter({
      name: 'openeye_ws_messages_sent_total',
      help: 'Messages sent to WebSocket clients, by type',
      labelNames: ['type'],
      registers: [registry],
    }),
    fanoutSeconds: new Histogram({
      name: 'openeye_ws_broadcast_fanout_seconds',
      help: 'Time to frame one broadcast once and queue it for every recipient (the writes: openeye_ws_flush_seconds)',
      buckets: [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1],
      registers: [registry],
    }),
    flushSeconds: new Histogram({
      name: 'openeye_ws_flush_seconds',
      help: 'Time to write one event-loop turn of queued frames to every socket that has some',
      buckets: [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1],
      registers: [registry],
    }),
    slowConsumerCloses: new Counter({
      name: 'openeye_ws_slow_consumer_closes_total',
      help: 'Connections closed 1013 because their send buffer passed the limit',
      registers: [registry],
    }),
  };
}
