/**
 * One MQTT connection: built from a broker URL and the settings (credentials taken out of the URL
 * and never logged), reconnecting with backoff for ever, reporting its health and metrics.
 *
 * Incoming messages are handled one at a time and acknowledged (PUBACK) only after the handler
 * resolved, i.e. after what they carry was stored: a process that dies before that gets the message
 * again from its persistent session. That is also the back-pressure: a flood waits in the broker,
 * not in our memory.
 */
import fs from 'node:fs';
import type { IClientOptions, IPublishPacket, MqttClient } from 'mqtt';
import { maskUrlPassword } from '../config.js';
import type { Logger } from '../logger.js';
import type { IntegrationMetrics } from './metrics.js';

let mqttModule: Promise<typeof import('mqtt')> | null = null;

/** The MQTT client library, loaded on first use (a second or two on a busy machine: not for every CLI command). */
export function loadMqtt(): Promise<typeof import('mqtt')> {
  mqttModule ??= import('mqtt');
  return mqttModule;
}

/** The longest stretch of message handling before other work gets the event loop, ms. */
const YIELD_EVERY_MS = 5;

export interface BrokerEndpoint {
  /** mqtt://, mqtts://, ws://, wss:// (tcp://, ssl://, tls:// too); may carry user:password@. */
  url: string;
  username?: string | null;
  password?: string | null;
  /** PEM file of the CA for TLS. */
  caFile?: string | null;
}

export type ConnectionHealth = 'connecting' | 'up' | 'down';

export interface IncomingMessage {
  topic: string;
  payload: Buffer;
  retain: boolean;
  /** MQTT 5 user properties (idempotency keys). */
  userProperties: Record<string, string | string[]>;
}

export interface MqttConnectionOptions {
  /** `frigate` or `openeye`: in logs and metrics. */
  name: string;
  endpoint: BrokerEndpoint;
  clientId: string;
  /** A persistent session (no clean start, kept by the broker for `sessionExpirySeconds`). */
  persistent: boolean;
  sessionExpirySeconds?: number;
  will?: { topic: string; payload: string; retain: boolean; qos: 0 | 1 };
  /** Topic filters subscribed at QoS 1 after every connect. */
  subscriptions: string[];
  onMessage?: (message: IncomingMessage) => Promise<void>;
  /** After every (re)connect and the subscriptions. */
  onConnect?: (sessionPresent: boolean) => void;
  log: Logger;
  metrics: IntegrationMetrics;
  timing?: ConnectionTiming;
}

export interface ConnectionTiming {
  /** CONNACK must arrive within this (a broker that accepts TCP and stalls), ms. */
  connectTimeoutMs?: number;
  /** Keepalive; a broker silent for 1.5 times this is dropped, s. */
  keepaliveSeconds?: number;
  /** Backoff between attempts: base and cap, ms. */
  backoffBaseMs?: number;
  backoffMaxMs?: number;
}

/** A broker URL fit for a log line: the password masked, the query dropped. */
export function redactBrokerUrl(url: string): string {
  return maskUrlPassword(url.split('?')[0]!.split('#')[0]!);
}

/** The URL without credentials, and the credentials (the URL's, else the settings'). */
export function splitCredentials(endpoint: BrokerEndpoint): {
  url: string;
  username: string | undefined;
  password: string | undefined;
} {
  const u = new URL(endpoint.url);
  const username = u.username ? decodeURIComponent(u.username) : (endpoint.username ?? undefined);
  const password = u.password ? decodeURIComponent(u.password) : (endpoint.password ?? undefined);
  u.username = '';
  u.password = '';
  return { url: u.toString(), username: username || undefined, password: password || undefined };
}

/** Options for mqtt.js; `clean: false` plus a session expiry for a persistent session. */
export function clientOptions(o: MqttConnectionOptions): { url: string; options: IClientOptions } {
  const { url, username, password } = splitCredentials(o.endpoint);
  const timing = o.timing ?? {};
  const options: IClientOptions = {
    protocolVersion: 5,
    clientId: o.clientId,
    clean: !o.persistent,
    ...(o.persistent ? { properties: { sessionExpiryInterval: o.sessionExpirySeconds ?? 86_400 } } : {}),
    keepalive: timing.keepaliveSeconds ?? 30,
    connectTimeout: timing.connectTimeoutMs ?? 10_000,
    // Reconnects are ours (backoff); mqtt.js's would retry at a fixed period.
    reconnectPeriod: 0,
    resubscribe: false,
    queueQoSZero: false,
    ...(username !== undefined ? { username } : {}),
    ...(password !== undefined ? { password } : {}),
    ...(o.endpoint.caFile ? { ca: fs.readFileSync(o.endpoint.caFile) } : {}),
    ...(o.will ? { will: { ...o.will, payload: Buffer.from(o.will.payload) } } : {}),
  };
  return { url, options };
}

export class MqttConnection {
  private client: MqttClient | null = null;
  private state: ConnectionHealth = 'connecting';
  private attempt = 0;
  private retryTimer: NodeJS.Timeout | null = null;
  private stopped = false;
  /** The last logged failure, so a broker that stays down is logged once, not per attempt. */
  private lastFailure = '';
  private lastYield = 0;
  readonly broker: string;

  constructor(private readonly o: MqttConnectionOptions) {
    this.broker = redactBrokerUrl(o.endpoint.url);
  }

  health(): ConnectionHealth {
    return this.state;
  }

  get connected(): boolean {
    return this.state === 'up';
  }

  /** Starts connecting in the background; never throws (a bad CA file is logged and retried). */
  start(): void {
    this.stopped = false;
    void this.open();
  }

  private async open(): Promise<void> {
    let built: { url: string; options: IClientOptions };
    let mqtt: typeof import('mqtt');
    try {
      built = clientOptions(this.o);
      mqtt = await loadMqtt();
    } catch (err) {
      this.fail(err as Error);
      this.scheduleRetry();
      return;
    }
    if (this.stopped) return;
    const client = mqtt.connect(built.url, built.options);
    this.client = client;
    client.handleMessage = (packet: IPublishPacket, done) => {
      void this.deliver(packet).finally(() => done());
    };
    client.on('connect', (connack) => void this.onConnected(client, connack.sessionPresent));
    client.on('error', (err) => this.fail(err));
    client.on('close', () => {
      if (this.client !== client) return;
      // A loss nobody explained (no error event since the connect): say so once.
      if (this.state === 'up' && this.lastFailure === '') this.fail(new Error('connection lost'));
      this.setState('down');
      this.scheduleRetry();
    });
  }

  private async onConnected(client: MqttClient, sessionPresent: boolean): Promise<void> {
    if (this.client !== client) return;
    // Small acknowledgements one after another: without this, Nagle's algorithm and the broker's
    // delayed ACKs cap ingest at a few hundred messages per second.
    (client.stream as { setNoDelay?: (on: boolean) => void } | undefined)?.setNoDelay?.(true);
    this.attempt = 0;
    this.lastFailure = '';
    this.setState('up');
    this.o.log.info(
      {
        event: 'mqtt.up',
        connection: this.o.name,
        broker: this.broker,
        client_id: this.o.clientId,
        session_present: sessionPresent,
      },
      `MQTT ${this.o.name}: connected to ${this.broker}`,
    );
    if (this.o.subscriptions.length > 0) {
      // rh 1: retained messages only for a new subscription (not again on every reconnect); rap: the
      // retain flag as the publisher set it, so that a retained publish on an input topic is seen as one.
      const filters = Object.fromEntries(this.o.subscriptions.map((t) => [t, { qos: 1 as const, rh: 1, rap: true }]));
      client.subscribe(filters, (err) => {
        if (err && this.client === client) this.fail(err);
      });
    }
    this.o.onConnect?.(sessionPresent);
  }

  private async deliver(packet: IPublishPacket): Promise<void> {
    if (!this.o.onMessage) return;
    // mqtt.js works through a read's packets in next-tick callbacks and SQLite answers synchronously:
    // without a pause now and then, a flood would keep every other socket (HTTP, WebSocket) waiting.
    if (performance.now() - this.lastYield > YIELD_EVERY_MS) {
      await new Promise((r) => setImmediate(r));
      this.lastYield = performance.now();
    }
    const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
    try {
      await this.o.onMessage({
        topic: packet.topic,
        payload,
        retain: packet.retain === true,
        userProperties: (packet.properties?.userProperties ?? {}) as Record<string, string | string[]>,
      });
    } catch (err) {
      // Handlers count and log their own refusals; this is the last guard: the pipeline goes on.
      this.o.log.error({ event: 'mqtt.handler_error', connection: this.o.name, err }, 'MQTT message handler failed');
    }
  }

  private setState(state: ConnectionHealth): void {
    this.state = state;
    this.o.metrics.connected.set({ connection: this.o.name }, state === 'up' ? 1 : 0);
  }

  private fail(err: Error): void {
    const message = redactMessage(err.message || String(err), this.o.endpoint);
    if (message === this.lastFailure) return;
    this.lastFailure = message;
    this.o.log.warn(
      {
        event: 'mqtt.down',
        connection: this.o.name,
        broker: this.broker,
        error: message,
        code: (err as { code?: unknown }).code,
      },
      `MQTT ${this.o.name}: ${message}; reconnecting with backoff`,
    );
  }

  private scheduleRetry(): void {
    if (this.stopped || this.retryTimer) return;
    const t = this.o.timing ?? {};
    const base = t.backoffBaseMs ?? 500;
    const cap = t.backoffMaxMs ?? 30_000;
    const ceiling = Math.min(cap, base * 2 ** Math.min(this.attempt, 16));
    // Equal jitter: at least half the step, so a broker coming back is not hammered at once.
    const delay = ceiling / 2 + Math.random() * (ceiling / 2);
    this.attempt++;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (this.stopped) return;
      this.o.metrics.reconnects.inc({ connection: this.o.name });
      const c = this.client;
      // Never got as far as a client (a CA file that cannot be read, say): start over.
      if (!c) return void this.open();
      // Keep the stores: QoS 1 messages not yet acknowledged are sent again after the reconnect.
      c.reconnect({ incomingStore: c.incomingStore, outgoingStore: c.outgoingStore });
    }, delay);
    this.retryTimer.unref();
  }

  /** Publishes; resolves when the broker acknowledged (QoS 1) or the message was written (QoS 0). */
  publish(topic: string, payload: string | Buffer, options: { qos: 0 | 1; retain?: boolean }): Promise<void> {
    const client = this.client;
    if (!client) return Promise.reject(new Error('not connected'));
    return new Promise((resolve, reject) => {
      client.publish(topic, payload, { qos: options.qos, retain: options.retain ?? false }, (err) =>
        err ? reject(err) : resolve(),
      );
    });
  }

  /**
   * Disconnects. `goodbye` (a retained message, e.g. availability `offline`) is published first
   * when connected. A persistent session stays on the broker for the next holder.
   */
  async stop(goodbye?: { topic: string; payload: string }): Promise<void> {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    const client = this.client;
    if (!client) return;
    if (goodbye && client.connected) {
      await Promise.race([
        this.publish(goodbye.topic, goodbye.payload, { qos: 1, retain: true }).catch(() => {}),
        new Promise((r) => setTimeout(r, 1000)),
      ]);
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        client.end(true);
        resolve();
      }, 2000);
      client.end(false, {}, () => {
        clearTimeout(timer);
        resolve();
      });
    });
    this.client = null;
    this.setState('down');
  }
}

/** An error message with the endpoint's credentials removed, whatever echoed them. */
export function redactMessage(message: string, endpoint: BrokerEndpoint): string {
  let fromUrl: string | undefined;
  try {
    fromUrl = splitCredentials(endpoint).password;
  } catch {
    fromUrl = undefined;
  }
  let out = message;
  for (const secret of [fromUrl, endpoint.password]) {
    if (secret) out = out.split(secret).join('[redacted]');
  }
  return out;
}
