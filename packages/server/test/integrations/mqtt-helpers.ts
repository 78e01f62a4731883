/**
 * Helpers for tests against the real Mosquitto (127.0.0.1:1883): unique prefixes and client ids per
 * test, a recording client, and the clean-up every test owes the shared broker (retained messages
 * cleared with empty retained payloads, persistent sessions ended with a clean connect).
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { connect, type IClientOptions, type MqttClient } from 'mqtt';

export const BROKER = process.env.OPENEYE_TEST_MQTT_URL ?? 'mqtt://127.0.0.1:1883';
const FIXTURES = new URL('../fixtures/frigate/', import.meta.url);

export function fixture(name: string): string {
  return fs.readFileSync(new URL(`${name}.json`, FIXTURES), 'utf8');
}

/** A fixture with its ids (events, reviews, detections) made unique with `tag`. */
export function taggedFixture(name: string, tag: string): string {
  return fixture(name).replace(/(\d{10}\.\d+)-([a-z0-9]{6})/g, `$1-$2${tag}`);
}

export interface Names {
  tag: string;
  frigate: string;
  openeye: string;
  ha: string;
  clientId: string;
  env: Record<string, string>;
}

/** Detection `k` of a run: the person fixture with its own id. */
export function detection(tag: string, k: number): { id: string; payload: string } {
  const e = JSON.parse(fixture('events-person-unrecognised-new'));
  const id = `1784761488.${100000 + k}-d${tag}`;
  e.before.id = id;
  e.after.id = id;
  return { id, payload: JSON.stringify(e) };
}

/** Unique topic prefixes and client id, and the server environment that uses them. */
export function uniqueNames(extra: Record<string, string> = {}, broker = BROKER): Names {
  const tag = randomBytes(4).toString('hex');
  const n = {
    tag,
    frigate: `test-${tag}/frigate`,
    openeye: `test-${tag}/openeye`,
    ha: `test-${tag}/homeassistant`,
    clientId: `openeye-test-${tag}`,
  };
  return {
    ...n,
    env: {
      OPENEYE_FRIGATE_MQTT_URL: broker,
      OPENEYE_FRIGATE_TOPIC_PREFIX: n.frigate,
      OPENEYE_MQTT_URL: broker,
      OPENEYE_MQTT_TOPIC_PREFIX: n.openeye,
      OPENEYE_HA_PREFIX: n.ha,
      OPENEYE_MQTT_CLIENT_ID: n.clientId,
      ...extra,
    },
  };
}

export interface Received {
  topic: string;
  payload: string;
  retain: boolean;
}

export interface TestMqtt {
  client: MqttClient;
  messages: Received[];
  subscribe(filter: string): Promise<void>;
  publish(
    topic: string,
    payload: string | Buffer,
    opts?: { qos?: 0 | 1; retain?: boolean; properties?: object },
  ): Promise<void>;
  waitFor(pred: (m: Received) => boolean, count?: number, timeoutMs?: number): Promise<Received[]>;
  end(): Promise<void>;
}

export async function mqttClient(options: IClientOptions = {}, broker = BROKER): Promise<TestMqtt> {
  const client = connect(broker, {
    protocolVersion: 5,
    clientId: `test-${randomBytes(6).toString('hex')}`,
    reconnectPeriod: 0,
    ...options,
  });
  // Listening before the CONNACK: a persistent session's queued messages follow it at once.
  const messages: Received[] = [];
  client.on('message', (topic, payload, packet) => {
    messages.push({ topic, payload: payload.toString('utf8'), retain: packet.retain });
  });
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve());
    client.once('error', reject);
  });
  return {
    client,
    messages,
    subscribe: (filter) =>
      new Promise((resolve, reject) => client.subscribe(filter, { qos: 1 }, (err) => (err ? reject(err) : resolve()))),
    publish: (topic, payload, opts = {}) =>
      new Promise((resolve, reject) =>
        client.publish(
          topic,
          payload,
          {
            qos: opts.qos ?? 1,
            retain: opts.retain ?? false,
            ...(opts.properties ? { properties: opts.properties } : {}),
          },
          (err) => (err ? reject(err) : resolve()),
        ),
      ),
    async waitFor(pred, count = 1, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = messages.filter(pred);
        if (found.length >= count) return found;
        if (Date.now() > deadline) {
          throw new Error(
            `timed out waiting for ${count} messages; got ${found.length}; topics: ${[...new Set(messages.map((m) => m.topic))].join(', ')}`,
          );
        }
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    end: () => new Promise((resolve) => client.end(false, {}, () => resolve())),
  };
}

/**
 * What a test leaves on the shared broker, removed: retained messages under `prefixes` (empty
 * retained payloads) and the persistent sessions of `clientIds` (a clean connect with expiry 0).
 */
export async function cleanBroker(prefixes: string[], clientIds: string[], broker = BROKER): Promise<void> {
  const c = await mqttClient({}, broker);
  for (const p of prefixes) await c.subscribe(`${p}/#`);
  await new Promise((r) => setTimeout(r, 300));
  const retained = [...new Set(c.messages.filter((m) => m.retain && m.payload !== '').map((m) => m.topic))];
  for (const topic of retained) await c.publish(topic, '', { qos: 1, retain: true });
  await c.end();
  for (const clientId of clientIds) {
    const s = await mqttClient({ clientId, clean: true, properties: { sessionExpiryInterval: 0 } }, broker).catch(
      () => null,
    );
    await s?.end();
  }
}

export async function until<T>(
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 10_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
