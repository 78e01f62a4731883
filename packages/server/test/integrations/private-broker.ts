/**
 * A Mosquitto of the test's own (a free loopback port, a temporary directory), for what the shared
 * broker must not see: being stopped and restarted, a password file. Stopped with SIGTERM (it saves
 * its persistence file then), started again on the same port and directory.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

export class PrivateBroker {
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'openeye-mosquitto-'));
  private child: ChildProcess | null = null;
  port = 0;

  constructor(private readonly users: Record<string, string> = {}) {}

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    if (this.port === 0) this.port = await freePort();
    const lines = [
      `listener ${this.port} 127.0.0.1`,
      'persistence true',
      `persistence_location ${this.dir}/`,
      'log_dest none',
      // Started as root, Mosquitto switches to the `mosquitto` user, which cannot write our temp dir.
      ...(process.getuid?.() === 0 ? ['user root'] : []),
    ];
    if (Object.keys(this.users).length > 0) {
      const file = path.join(this.dir, 'passwd');
      fs.writeFileSync(file, '');
      for (const [user, pass] of Object.entries(this.users)) execFileSync('mosquitto_passwd', ['-b', file, user, pass]);
      fs.chmodSync(file, 0o600);
      lines.push('allow_anonymous false', `password_file ${file}`);
    } else lines.push('allow_anonymous true');
    const conf = path.join(this.dir, 'mosquitto.conf');
    fs.writeFileSync(conf, `${lines.join('\n')}\n`);
    this.child = spawn('mosquitto', ['-c', conf], { stdio: 'ignore' });
    const deadline = Date.now() + 5000;
    for (;;) {
      const ok = await new Promise<boolean>((resolve) => {
        const s = net.connect(this.port, '127.0.0.1');
        s.once('connect', () => {
          s.destroy();
          resolve(true);
        });
        s.once('error', () => resolve(false));
      });
      if (ok) return;
      if (Date.now() > deadline) throw new Error('private mosquitto did not start');
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async stop(): Promise<void> {
    const c = this.child;
    if (!c || c.exitCode !== null) return;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill('SIGTERM');
    await exited;
    this.child = null;
  }

  async destroy(): Promise<void> {
    await this.stop();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * A "broker" that accepts TCP connections and then says nothing (`connack: false`), or answers
 * the CONNECT with a CONNACK and then nothing (no PINGRESP, no PUBACK).
 */
export async function stallingBroker(
  connack: boolean,
): Promise<{ url: string; connections: () => number; close: () => Promise<void> }> {
  let count = 0;
  const sockets = new Set<net.Socket>();
  const srv = net.createServer((s) => {
    count++;
    sockets.add(s);
    s.on('error', () => {});
    s.on('close', () => sockets.delete(s));
    if (connack) s.once('data', () => s.write(Buffer.from([0x20, 0x03, 0x00, 0x00, 0x00])));
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as net.AddressInfo).port;
  return {
    url: `mqtt://127.0.0.1:${port}`,
    connections: () => count,
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        srv.close(() => resolve());
      }),
  };
}
