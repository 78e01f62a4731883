import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { waitFor } from '../../../test/support/wait.js';
import { JwtService } from '../src/auth/jwt.js';
import { verifyPassword } from '../src/auth/passwords.js';
import { SETTING_LIST } from '../src/config.js';
import { Store } from '../src/store/index.js';
import { ADMIN_PASSWORD, freePort, spawnServerProcess, tempDir } from '../src/testing.js';
import { api, connect } from './helpers.js';

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

const hasScript = fs.existsSync('/usr/bin/script');

async function storedPasswordIs(dataDir: string, username: string, password: string): Promise<boolean> {
  const store = await Store.open({ databaseUrl: null, dataDir });
  try {
    return verifyPassword(password, (await store.users.byUsername(username))?.password_hash ?? null);
  } finally {
    await store.close();
  }
}

/**
 * Runs the CLI on a pseudo-terminal (util-linux `script`), typing each answer once its prompt has
 * appeared (by then readline has switched the terminal to raw mode: no echo). Returns everything
 * the terminal showed.
 */
function onTerminal(
  args: string[],
  env: Record<string, string>,
  answers: { after: RegExp; type: string }[],
): Promise<{ code: number | null; output: string }> {
  const command = [process.execPath, '--conditions=source', '--import', 'tsx', cli, ...args]
    .map((a) => `'${a.replace(/'/g, "'\\''")}'`)
    .join(' ');
  const child = spawn('/usr/bin/script', ['-qec', command, '/dev/null'], {
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'warn', TERM: 'dumb', ...env },
    cwd: path.dirname(cli),
  });
  let output = '';
  let next = 0;
  const onData = (d: Buffer) => {
    output += String(d);
    const answer = answers[next];
    if (answer?.after.test(output)) {
      next++;
      child.stdin.write(answer.type);
    }
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  return new Promise((resolve) => {
    child.once('exit', (code) => {
      child.stdin.destroy();
      resolve({ code, output });
    });
  });
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

      // disable: the store refuses the account at once (login and REST); enable gives it back.
      const disabled = await openeye(['user', 'disable', 'bob'], env);
      expect(disabled).toMatchObject({ code: 0, stdout: 'user bob disabled\n' });
      expect((await openeye(['user', 'list'], env)).stdout).toMatch(/\tbob\tviewer\tdisabled\n/);
      const credentials = { username: 'bob', password: 'new-password' };
      expect((await api(proc.url, 'POST', '/api/auth/login', undefined, credentials)).status).toBe(401);
      expect((await api(proc.url, 'GET', '/api/users/me', token)).status).toBe(401);
      expect(await openeye(['user', 'enable', 'bob'], env)).toMatchObject({ code: 0, stdout: 'user bob enabled\n' });
      expect((await openeye(['user', 'list'], env)).stdout).toMatch(/\tbob\tviewer\n/);
      expect((await api(proc.url, 'POST', '/api/auth/login', undefined, credentials)).status).toBe(200);
      const nobody = await openeye(['user', 'disable', 'nobody'], env);
      expect(nobody.code).toBe(2);
      expect(nobody.stderr).toBe('openeye: no user nobody\n');
      expect((await openeye(['user', 'enable'], env)).stderr).toBe('openeye: openeye user enable needs a username\n');
    } finally {
      await proc.kill();
    }
  }, 120_000);

  it('creates, lists and revokes API keys a server accepts as producer credentials', async () => {
    const dataDir = tempDir();
    const env = { OPENEYE_DATA_DIR: dataDir };
    await openeye(['user', 'add', 'cam', '--role', 'producer', '--password', 'cam-password'], env);
    await openeye(['user', 'add', 'eve', '--role', 'viewer', '--password', 'eve-password'], env);
    const created = await openeye(['key', 'create', 'cam', '--name', 'Front door', '--cameras', '1'], env);
    expect(created.code).toBe(0);
    const key = created.stdout.trim();
    expect(key).toMatch(/^oek_/);
    expect(created.stderr).toContain('shown once');
    const list = await openeye(['key', 'list'], env);
    expect(list.stdout).toMatch(/^1\toek_[a-z0-9]+\tFront door\tuser \d+\tcameras 1\tlast used never\n$/);
    expect(list.stdout).not.toContain(key);
    // A viewer's key is a kiosk screen's: read-only.
    const kiosk = await openeye(['key', 'create', 'eve', '--name', 'Lobby wall'], env);
    expect(kiosk.code).toBe(0);
    expect(kiosk.stdout.trim()).toMatch(/^oek_/);
    expect((await openeye(['key', 'create', 'cam'], env)).stderr).toBe(
      'openeye: openeye key create needs --name (what the key is for)\n',
    );
    expect((await openeye(['key', 'create', 'cam', '--name', 'x', '--cameras', 'a,b'], env)).code).toBe(2);
    const port = await freePort();
    const proc = await spawnServerProcess({ port, dataDir });
    try {
      const camera = await api(proc.url, 'GET', '/api/cameras', key);
      expect(camera.status).toBe(200);
      expect(await openeye(['key', 'revoke', '1'], env)).toMatchObject({ code: 0 });
      expect((await api(proc.url, 'GET', '/api/cameras', key)).status).toBe(401);
      expect((await openeye(['key', 'revoke', '99'], env)).stderr).toBe('openeye: no API key 99\n');
    } finally {
      await proc.kill();
    }
  }, 120_000);

  it('a key revoked, a user disabled or a password changed here closes their open sockets within seconds; enabled, the user is back', async () => {
    // The CLI writes to the database, not to the running server: the server notices by itself.
    const dataDir = tempDir();
    const env = { OPENEYE_DATA_DIR: dataDir };
    await openeye(['user', 'add', 'cam', '--role', 'producer', '--password', 'cam-password'], env);
    await openeye(['user', 'add', 'eve', '--role', 'viewer', '--password', 'eve-password'], env);
    await openeye(['user', 'add', 'ann', '--role', 'viewer', '--password', 'ann-password'], env);
    const key = (await openeye(['key', 'create', 'cam', '--name', 'Front door'], env)).stdout.trim();
    const port = await freePort();
    const proc = await spawnServerProcess({ port, dataDir });
    // Tokens are signed with the secret the server made at its first start.
    const eve = (await openeye(['token', 'eve'], env)).stdout.trim();
    const ann = (await openeye(['token', 'ann'], env)).stdout.trim();
    const clients = [
      connect(proc.url, { token: key }),
      connect(proc.url, { token: eve }),
      connect(proc.url, { token: ann }),
    ];
    try {
      for (const c of clients) await c.next('connection_status');
      const started = Date.now();
      expect(await openeye(['key', 'revoke', '1'], env)).toMatchObject({ code: 0 });
      expect(await openeye(['user', 'disable', 'eve'], env)).toMatchObject({ code: 0 });
      expect(await openeye(['user', 'passwd', 'ann', '--password', 'ann-new-password'], env)).toMatchObject({
        code: 0,
      });
      const closes = await Promise.race([
        Promise.all(clients.map((c) => c.closed)),
        new Promise((resolve) => setTimeout(() => resolve('still open after 20 s'), 20_000)),
      ]);
      expect(closes).toEqual([
        { code: 1008, reason: 'Invalid token' },
        { code: 1008, reason: 'Invalid token' },
        { code: 1008, reason: 'Invalid token' },
      ]);
      expect(Date.now() - started).toBeLessThan(15_000);
      // And they cannot come back.
      const again = connect(proc.url, { token: key });
      expect((await again.closed).code).toBe(1008);
      // Enabled again here, the user is let in within seconds (a refusal is cached briefly).
      expect((await connect(proc.url, { token: eve }).closed).code).toBe(1008);
      expect(await openeye(['user', 'enable', 'eve'], env)).toMatchObject({ code: 0 });
      await waitFor(
        async () => {
          const c = connect(proc.url, { token: eve });
          const first = await Promise.race([c.next('connection_status').then(() => true), c.closed.then(() => false)]);
          c.ws.close();
          return first;
        },
        'the re-enabled user to be welcomed',
        { timeoutMs: 8000, intervalMs: 250 },
      );
    } finally {
      for (const c of clients) c.ws.terminate();
      await proc.kill();
    }
  }, 120_000);

  it('explains bad input and exits 2', async () => {
    const bad = await openeye(['serve', '--port', 'x'], { OPENEYE_DATA_DIR: tempDir() });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--port must be an integer');
    const badEnv = await openeye(['serve'], { OPENEYE_DATA_DIR: tempDir(), PORT: 'x' });
    expect(badEnv.code).toBe(2);
    expect(badEnv.stderr).toBe('openeye: PORT must be an integer between 0 and 65535, got "x"\n');
    const flag = await openeye(['serve', '--bogus']);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toMatch(/bogus/);
    const role = await openeye(['user', 'add', 'x', '--role', 'root', '--password', 'whatever1'], {
      OPENEYE_DATA_DIR: tempDir(),
    });
    expect(role.code).toBe(2);
    expect(role.stderr).toContain('--role must be admin, viewer or producer');
    const unknown = await openeye(['frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^openeye: unknown command: frobnicate [^\n]*\n$/);
  }, 30_000);

  it('config prints every setting with its source, secrets masked; --help lists every variable', async () => {
    const out = await openeye(['config', '--port', '9001'], {
      OPENEYE_DATA_DIR: '/srv/openeye',
      OPENEYE_JWT_SECRET: 'jwt-secret-jwt-secret-jwt-secret-42',
      OPENEYE_ADMIN_PASSWORD: 'admin-secret-1',
      DATABASE_URL: 'postgres://app:db-secret@db.example:5432/openeye',
      REDIS_URL: 'redis://:redis-secret@cache.example:6379',
    });
    expect(out).toMatchObject({ code: 0, stderr: '' });
    for (const secret of ['jwt-secret', 'admin-secret', 'db-secret', 'redis-secret']) {
      expect(out.stdout).not.toContain(secret);
    }
    const line = (env: string) =>
      out.stdout
        .split('\n')
        .find((l) => l.startsWith(`${env} `))
        ?.split(/\s{2,}/);
    expect(line('PORT')).toEqual(['PORT', '9001', 'flag']);
    expect(line('OPENEYE_DATA_DIR')).toEqual(['OPENEYE_DATA_DIR', '/srv/openeye', 'env']);
    expect(line('DATABASE_URL')).toEqual(['DATABASE_URL', 'postgres://app:****@db.example:5432/openeye', 'env']);
    expect(line('REDIS_URL')).toEqual(['REDIS_URL', 'redis://:****@cache.example:6379', 'env']);
    expect(line('OPENEYE_JWT_SECRET')).toEqual(['OPENEYE_JWT_SECRET', '****', 'env']);
    expect(line('OPENEYE_ADMIN_PASSWORD')).toEqual(['OPENEYE_ADMIN_PASSWORD', '****', 'env']);
    expect(line('OPENEYE_HEARTBEAT_INTERVAL_MS')).toEqual(['OPENEYE_HEARTBEAT_INTERVAL_MS', '30000', 'default']);

    const help = await openeye(['--help']);
    expect(help.code).toBe(0);
    for (const s of SETTING_LIST) {
      expect(help.stdout).toContain(s.env);
      expect(out.stdout).toContain(`${s.env} `);
    }
  }, 90_000);

  it("--version prints the version of @openeye/server; <command> --help prints that command's usage", async () => {
    const pkg = JSON.parse(fs.readFileSync(path.resolve(path.dirname(cli), '../package.json'), 'utf8'));
    expect(await openeye(['--version'])).toEqual({ code: 0, stdout: `${pkg.version}\n`, stderr: '' });
    const commands = ['serve', 'user', 'token', 'config', 'cluster', 'simulate'];
    const helps = await Promise.all(commands.map((c) => openeye([c, '--help'])));
    commands.forEach((command, i) => {
      const help = helps[i]!;
      expect(help.code, command).toBe(0);
      expect(help.stderr).toBe('');
      expect(help.stdout).toMatch(new RegExp(`^Usage:\n  openeye ${command} `));
      for (const other of commands.filter((c) => c !== command))
        expect(help.stdout).not.toMatch(new RegExp(`^  openeye ${other} `, 'm'));
    });
    expect(helps[1]!.stdout).toContain('openeye user passwd <username>');
    expect((await openeye(['help', 'token'])).stdout).toBe(helps[2]!.stdout);
    const unknown = await openeye(['frobnicate', '--help']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^openeye: unknown command: frobnicate \(commands: serve, user, token, .*\)\n$/);
  }, 90_000);

  it('token --expires above the 30-day cap is a usage error naming the cap', async () => {
    const secret = 'a-jwt-secret-of-at-least-32-characters';
    const env = { OPENEYE_DATA_DIR: tempDir(), OPENEYE_JWT_SECRET: secret };
    expect((await openeye(['user', 'add', 'cam', '--role', 'producer', '--password', 'cam-password'], env)).code).toBe(
      0,
    );
    const over = await openeye(['token', 'cam', '--expires', String(30 * 86400 + 1)], env);
    expect(over.code).toBe(2);
    expect(over.stdout).toBe('');
    expect(over.stderr).toMatch(/^openeye: --expires must be [^\n]*at most 2592000 seconds \(30 days\)[^\n]*\n$/);
    expect((await openeye(['token', 'cam', '--expires', '9.5'], env)).stderr).toContain('--expires must be');
    const atCap = await openeye(['token', 'cam', '--expires', String(30 * 86400)], env);
    expect(atCap.code).toBe(0);
    const verified = new JwtService(secret, 3600).verify(atCap.stdout.trim());
    expect(verified).toMatchObject({ ok: true, claims: { username: 'cam', role: 'producer' } });
    if (verified.ok) expect(verified.claims.exp - verified.claims.iat).toBe(30 * 86400);
  }, 60_000);

  it('token on a fresh data dir says what to do instead of an ENOENT stack trace', async () => {
    const dataDir = path.join(tempDir(), 'never-started');
    const out = await openeye(['token', 'admin'], { OPENEYE_DATA_DIR: dataDir });
    expect(out.code).toBe(2);
    expect(out.stdout).toBe('');
    expect(out.stderr).not.toContain('ENOENT');
    expect(out.stderr).toMatch(
      /^openeye: no JWT secret: [^\n]*start the server once[^\n]*or set OPENEYE_JWT_SECRET[^\n]*\n$/,
    );
    // Nothing was created by the failed command.
    expect(fs.existsSync(dataDir)).toBe(false);
  }, 30_000);

  it.skipIf(!hasScript)(
    'asks for the password on a terminal without echoing it',
    async () => {
      const dataDir = tempDir();
      const typed = 'typed-secret-42';
      const session = await onTerminal(['user', 'add', 'carol', '--role', 'viewer'], { OPENEYE_DATA_DIR: dataDir }, [
        { after: /Password for carol: $/, type: `${typed}\r` },
        { after: /Repeat it: $/, type: `${typed}\r` },
      ]);
      expect(session.code).toBe(0);
      expect(session.output).toContain('created user carol');
      expect(session.output).not.toContain(typed);
      expect(await storedPasswordIs(dataDir, 'carol', typed)).toBe(true);
      const mismatch = await onTerminal(['user', 'passwd', 'carol'], { OPENEYE_DATA_DIR: dataDir }, [
        { after: /Password for carol: $/, type: 'first-password\r' },
        { after: /Repeat it: $/, type: 'other-password\r' },
      ]);
      expect(mismatch.code).toBe(2);
      expect(mismatch.output).toContain('the two passwords differ');
      expect(mismatch.output).not.toMatch(/first-password|other-password/);
      // Piped standard input and --password keep working (the first test uses --password).
      const piped = spawn(
        process.execPath,
        ['--conditions=source', '--import', 'tsx', cli, 'user', 'passwd', 'carol'],
        {
          env: { PATH: process.env.PATH ?? '', OPENEYE_DATA_DIR: dataDir },
        },
      );
      piped.stdin.end('piped-password\n');
      let out = '';
      piped.stdout.on('data', (d) => {
        out += String(d);
      });
      expect(await new Promise((resolve) => piped.once('exit', resolve))).toBe(0);
      expect(out).toBe('password of carol changed\n');
      expect(await storedPasswordIs(dataDir, 'carol', 'piped-password')).toBe(true);
    },
    60_000,
  );

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
      // Its cameras have synthetic frames from the start (thumbnails; a watch sees them live).
      const snapshot = await fetch(`${proc.url}/api/cameras/1/snapshot`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(snapshot.status).toBe(200);
      expect(snapshot.headers.get('content-type')).toBe('image/jpeg');
    } finally {
      await proc.kill();
    }
  }, 60_000);
});
