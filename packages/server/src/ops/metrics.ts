/** Prometheus metrics (prom-client), one registry per server instance. No label ever holds a user id or token. */
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

export interface Metrics extends HubMetrics {
  registry: Registry;
  mediaFramesIngested: Counter<'source'>;
  mediaFramesForwarded: Counter;
  /** Cameras' own URLs, pulled while watched (media/pull.ts). */
  pull: PullMetrics;
  httpRequests: Counter<'method' | 'route' | 'status'>;
  httpDuration: Histogram<'method' | 'route'>;
}

export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'openeye_process_' });
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
      framesDropped: (reason, n = 1) => framesDropped.inc({ reason }, n),
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
