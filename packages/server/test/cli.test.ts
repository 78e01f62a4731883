import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { waitFor } from '../../../test/support/wait.js';
import { ADMIN_PASSWORD, freePort, spawnServerProcess, tempDir } from '../src/testing.js';
import { api } from './helpers.js';

const run = promisify(execFile);
const cli = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../src/cli.ts');

async function openeye(args: string[], env: Record<string, string> = {}) {
  try {
    const r = await run(process.execPath, ['--conditions=source', '--import', 'tsx', cli, ...args], {
      env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'warn', ...env },
      cwd: path.dirname(cli),
    });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('openeye CLI', () => {
  it('adds and lists users, and prints a token a server accepts', async () => {
    const dataDir = tempDir();
    const env = { OPENEYE_DATA_DIR: dataDir };
    const added = await openeye(['user', 'add', 'bob', '--role', 'viewer', '--password', 'bob-password'], env);
    expect(added).toMatchObject({ code: 0 });
    expect(added.stdout).toContain('created user bob');
    expect(
      (await openeye(['user', 'add', 'bob', '--role', 'viewer', '--password', 'bob-password'], env)).stderr,
    ).toContain('already exists');
    expect((await openeye(['user', 'list'], env)).stdout).toMatch(/\tbob\tviewer/);
    expect((await openeye(['user', 'passwd', 'bob', '--password', 'new-password'], env)).code).toBe(0);
    const port = await freePort();
    const proc = await spawnServerProcess({ port, dataDir });
    try {
      const token = (await openeye(['token', 'bob'], env)).stdout.trim();
      expect((await api(proc.url, 'GET', '/api/users/me', token)).body.username).toBe('bob');
      const login = await api(proc.url, 'POST', '/api/auth/login', undefined, {
        username: 'bob',
        password: 'new-password',
      });
      expect(login.status).toBe(200);
    } finally {
      await proc.kill();
    }
  }, 60_000);

  it('explains bad input and exits 2', async () => {
    // Four independent runs, started together: each is a Node start with tsx, slow on a busy machine.
    const [bad, flag, role, unknown] = await Promise.all([
      openeye(['serve', '--port', 'x'], { OPENEYE_DATA_DIR: tempDir() }),
      openeye(['serve', '--bogus']),
      openeye(['user', 'add', 'x', '--role', 'root', '--password', 'whatever1'], { OPENEYE_DATA_DIR: tempDir() }),
      openeye(['frobnicate']),
    ]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('PORT must be an integer');
    expect(flag.code).toBe(2);
    expect(flag.stderr).toMatch(/bogus/);
    expect(role.code).toBe(2);
    expect(role.stderr).toContain('--role must be admin, viewer or producer');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown command');
  }, 60_000);

  it('simulate moves the numbers of a running server', async () => {
    const port = await freePort();
    const proc = await spawnServerProcess({ port, dataDir: tempDir() });
    try {
      const token = (
        await api(proc.url, 'POST', '/api/auth/login', undefined, { username: 'admin', password: ADMIN_PASSWORD })
      ).body.access_token;
      const sim = await openeye(['simulate', '--url', proc.url, '--token', token, '--rate', '20', '--duration', '2']);
      expect(sim.code).toBe(0);
      expect(sim.stdout).toMatch(/done: \d+ posted, 0 failed/);
      const stats = (await api(proc.url, 'GET', '/api/statistics', token)).body;
      expect(stats.cameras.total_cameras).toBe(4);
      expect(stats.face_recognition.total_people).toBe(6);
      expect(stats.face_recognition.recognitions_today + stats.face_recognition.unknown_faces_today).toBeGreaterThan(0);
      const unreachable = await openeye([
        'simulate',
        '--url',
        'http://127.0.0.1:1',
        '--username',
        'a',
        '--password',
        'b',
      ]);
      expect(unreachable.code).toBe(2);
      expect(unreachable.stderr).toContain('cannot reach');
    } finally {
      await proc.kill();
    }
  }, 60_000);

  it('serve --demo shows a live system within seconds', async () => {
    const port = await freePort();
    const proc = await spawnServerProcess({ port, dataDir: tempDir(), env: { OPENEYE_DEMO: 'true' } });
    try {
      const token = (
        await api(proc.url, 'POST', '/api/auth/login', undefined, { username: 'admin', password: ADMIN_PASSWORD })
      ).body.access_token;
      const events = async (): Promise<number> =>
        (await api(proc.url, 'GET', '/api/events?limit=1000', token)).body.events.length;
      // Within seconds, and it keeps going.
      const first = await waitFor(async () => (await events()) || undefined, 'the first demo events', 5000);
      await waitFor(async () => (await events()) > first, 'more demo events', 5000);
    } finally {
      await proc.kill();
    }
  }, 60_000);
});
