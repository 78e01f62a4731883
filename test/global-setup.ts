/**
 * Runs once before the suite: the services the tests need must answer, or the run stops here
 * with a message that names the missing one and how to start it. Never a silent skip.
 */
import net from 'node:net';

const services = [
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

export default async function setup(): Promise<void> {
  const missing: string[] = [];
  for (const s of services) {
    if (!(await reachable(s.host, s.port))) {
      missing.push(`${s.name} is not answering on ${s.host}:${s.port}. Start it with:\n    ${s.start}`);
    }
  }
  if (missing.length > 0) {
    throw new Error(`The test suite needs these services:\n  ${missing.join('\n  ')}\n(.ci/run starts them.)`);
  }
}
