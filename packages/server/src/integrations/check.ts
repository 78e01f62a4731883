/**
 * `openeye mqtt check`: connects with the configured settings (a clean, throwaway session: never
 * the persistent ones of the running server), listens a few seconds and says what it sees: topics,
 * message counts and a sample of each, for setting things up. Credentials are shown masked.
 */
import { randomBytes } from 'node:crypto';
import pino from 'pino';
import { Registry } from 'prom-client';
import type { Config } from '../config.js';
import { mqttClientId } from './index.js';
import { integrationMetrics } from './metrics.js';
import { clientOptions, loadMqtt, redactBrokerUrl, redactMessage } from './mqtt-connection.js';

interface Target {
  name: string;
  url: string;
  filters: string[];
  hint: string;
}

function targets(config: Config): Target[] {
  const out: Target[] = [];
  if (config.frigateMqttUrl) {
    out.push({
      name: 'frigate',
      url: config.frigateMqttUrl,
      filters: [`${config.frigateTopicPrefix}/#`],
      hint: `is Frigate running, connected to this broker, with mqtt.topic_prefix "${config.frigateTopicPrefix}" (OPENEYE_FRIGATE_TOPIC_PREFIX)? Frigate publishes events only when it detects something.`,
    });
  }
  if (config.mqttUrl) {
    out.push({
      name: 'openeye',
      url: config.mqttUrl,
      filters: [
        `${config.mqttTopicPrefix}/#`,
        ...(config.haDiscovery ? [`${config.haPrefix}/status`, `${config.haPrefix}/device/+/config`] : []),
      ],
      hint: `is an OpenEye server running with OPENEYE_MQTT_TOPIC_PREFIX=${config.mqttTopicPrefix}? Its ${config.mqttTopicPrefix}/status is retained.`,
    });
  }
  return out;
}

/** Runs the check; writes lines through `write`; resolves true when every broker answered. */
export async function mqttCheck(config: Config, seconds: number, write: (line: string) => void): Promise<boolean> {
  const list = targets(config);
  if (list.length === 0) {
    write('Neither OPENEYE_MQTT_URL nor OPENEYE_FRIGATE_MQTT_URL is set: nothing to check.');
    return false;
  }
  let allOk = true;
  const silent = pino({ level: 'silent' });
  for (const t of list) {
    const endpoint = {
      url: t.url,
      username: config.mqttUsername,
      password: config.mqttPassword,
      caFile: config.mqttCaFile,
    };
    const clientId = `${mqttClientId(config)}-check-${randomBytes(3).toString('hex')}`.slice(0, 64);
    write(`${t.name}: ${redactBrokerUrl(t.url)} (client id ${clientId}, a clean session)`);
    let built: ReturnType<typeof clientOptions>;
    try {
      built = clientOptions({
        name: t.name,
        endpoint,
        clientId,
        persistent: false,
        subscriptions: [],
        log: silent,
        metrics: integrationMetrics(new Registry()),
        timing: { connectTimeoutMs: 5000 },
      });
    } catch (err) {
      write(`  cannot connect: ${redactMessage((err as Error).message, endpoint)}`);
      allOk = false;
      continue;
    }
    const client = (await loadMqtt()).connect(built.url, built.options);
    const seen = new Map<string, { count: number; sample: string; retained: boolean }>();
    client.on('message', (topic, payload, packet) => {
      const entry = seen.get(topic) ?? { count: 0, sample: '', retained: packet.retain };
      entry.count++;
      entry.sample = payload.toString('utf8').replace(/\s+/g, ' ').slice(0, 160);
      seen.set(topic, entry);
    });
    const connected = await new Promise<string | null>((resolve) => {
      const timer = setTimeout(
        () => resolve('no answer within 5 s (a broker that accepts and stalls, or a firewall)'),
        6000,
      );
      client.once('connect', () => {
        clearTimeout(timer);
        resolve(null);
      });
      client.once('error', (err) => {
        clearTimeout(timer);
        resolve(redactMessage(err.message, endpoint));
      });
    });
    if (connected !== null) {
      write(`  cannot connect: ${connected}`);
      allOk = false;
      client.end(true);
      continue;
    }
    write(`  connected; listening ${seconds} s on ${t.filters.join(', ')}`);
    await new Promise<void>((resolve) =>
      client.subscribe(Object.fromEntries(t.filters.map((f) => [f, { qos: 0 as const }])), () => resolve()),
    );
    await new Promise((r) => setTimeout(r, seconds * 1000));
    await new Promise<void>((resolve) => client.end(false, {}, () => resolve()));
    if (seen.size === 0) write(`  nothing received: ${t.hint}`);
    const topics = [...seen.entries()].sort((a, b) => a[0].localeCompare(b[0]));
    for (const [topic, e] of topics.slice(0, 50)) {
      write(`  ${topic}  ${e.count} message${e.count === 1 ? '' : 's'}${e.retained ? ' (retained)' : ''}  ${e.sample}`);
    }
    if (topics.length > 50) write(`  … and ${topics.length - 50} more topics`);
  }
  return allOk;
}
