/**
 * globalSetup of the `integration` project (vitest.config.ts): runs once before it, and every
 * service and tool the integration tests use must be there, or the run stops here with a message
 * that names each missing one and how to start or install it. Never a silent skip.
 * (.ci/run starts the services before `npm test`.) The `unit` project has no such check: it needs
 * none of them.
 */
import fs from 'node:fs';
import net from 'node:net';
import { CHROMIUM } from './support/browser.js';

interface Service {
  name: string;
  host: string;
  port: number;
  start: string;
}

export const services: Service[] = [
  {
    name: 'PostgreSQL',
    host: '127.0.0.1',
    port: 5432,
    start: 'pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start',
  },
  {
    name: 'Redis',
    host: '127.0.0.1',
    port: 6379,
    start: 'redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no',
  },
  {
    name: 'NATS (with JetStream)',
    host: '127.0.0.1',
    port: 4222,
    start:
      'start-stop-daemon --start --oknodo --background --exec /usr/sbin/nats-server -- -a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server',
  },
  {
    name: 'Mosquitto (MQTT)',
    host: '127.0.0.1',
    port: 1883,
    start: 'mosquitto -d -c /etc/mosquitto/mosquitto.conf',
  },
];

function reachable(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(2000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** What is missing, one entry per service or tool, each with how to start or install it. */
export async function missingServices(): Promise<string[]> {
  const answers = await Promise.all(services.map((s) => reachable(s.host, s.port)));
  const missing = services
    .filter((_, i) => !answers[i])
    .map((s) => `${s.name} is not answering on ${s.host}:${s.port}. Start it with:\n    ${s.start}`);
  if (!fs.existsSync(CHROMIUM)) {
    missing.push(
      `Chromium (browser tests) is not at ${CHROMIUM}. Install it with:\n    apt-get install -y chromium\n` +
        '  (or point OPENEYE_CHROMIUM at another Chromium binary)',
    );
  }
  return missing;
}

export default async function setup(): Promise<void> {
  const missing = await missingServices();
  if (missing.length > 0) {
    throw new Error(
      `The integration tests need these services:\n  ${missing.join('\n  ')}\n` +
        '(.ci/run starts them; `npm run test:unit` runs the unit layer, which needs none.)',
    );
  }
}
