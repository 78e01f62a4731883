/**
 * `@openeye/client` as a user gets it: `npm pack` of protocol and client into a temporary
 * directory, a fresh project that depends on the client tarball only (the protocol tarball stands
 * in for the registry through `overrides`, so it is installed only if the client declares it), then
 * an ESM import in Node, a Vite build of a page that imports it, and the `<script>` build evaluated
 * in a `vm` context. Nothing is written inside the repository except the packages' ignored dist/.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import vm from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** The environment without the npm_* variables of the `npm test` that may have started us. */
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));

interface Packed {
  name: string;
  version: string;
  filename: string;
  files: { path: string }[];
}

let tmp = '';
let project = '';
const packed: Record<string, Packed> = {};

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'openeye-pack-'));
  const { stdout } = await run(
    'npm',
    ['pack', '--workspace', '@openeye/protocol', '--workspace', '@openeye/client', '--pack-destination', tmp, '--json'],
    { cwd: root, env, maxBuffer: 16 * 1024 * 1024 },
  );
  for (const p of JSON.parse(stdout.slice(stdout.indexOf('[\n'))) as Packed[]) packed[p.name] = p;

  project = path.join(tmp, 'project');
  fs.mkdirSync(project);
  const tarball = (name: string) => `file:${path.join(tmp, packed[name]!.filename)}`;
  fs.writeFileSync(
    path.join(project, 'package.json'),
    JSON.stringify({
      name: 'openeye-client-consumer',
      private: true,
      type: 'module',
      dependencies: { '@openeye/client': tarball('@openeye/client') },
      overrides: { '@openeye/protocol': tarball('@openeye/protocol') },
    }),
  );
  const install = (mode: string) =>
    run('npm', ['install', mode, '--no-audit', '--no-fund', '--ignore-scripts'], { cwd: project, env });
  // --offline needs @sinclair/typebox's metadata in the npm cache; fall back to asking the registry.
  await install('--offline').catch(() => install('--prefer-offline'));
}, 240_000);

afterAll(() => {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

describe('@openeye/client from its tarball', () => {
  it('declares @openeye/protocol at the packed version, and each package ships every file its exports name', () => {
    const client = JSON.parse(
      fs.readFileSync(path.join(project, 'node_modules/@openeye/client/package.json'), 'utf8'),
    ) as {
      dependencies?: Record<string, string>;
    };
    expect(client.dependencies?.['@openeye/protocol']).toBe(packed['@openeye/protocol']!.version);
    for (const name of ['@openeye/protocol', '@openeye/client']) {
      const dir = path.join(project, 'node_modules', name);
      const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
      const targets: string[] = Object.values(
        manifest.exports as Record<string, string | Record<string, string>>,
      ).flatMap((conditions) => (typeof conditions === 'string' ? [conditions] : Object.values(conditions)));
      for (const target of targets) expect(fs.existsSync(path.join(dir, target)), `${name}: ${target}`).toBe(true);
      expect(packed[name]!.files.some((f) => f.path.endsWith('.test.ts'))).toBe(false);
    }
    expect(packed['@openeye/client']!.files.map((f) => f.path)).toContain('dist/openeye-client.iife.js');
  });

  it('imports in Node (ESM) and constructs a client', async () => {
    const script = `
      import wsService, { OpenEyeApi, OpenEyeClient } from '@openeye/client';
      const client = new OpenEyeClient({ baseUrl: 'http://127.0.0.1:1' });
      const api = new OpenEyeApi({ baseUrl: 'http://127.0.0.1:1' });
      console.log(JSON.stringify({ status: client.getStatus(), api: typeof api.statistics, singleton: wsService.getStatus() }));
    `;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { cwd: project, env });
    expect(JSON.parse(stdout)).toEqual({ status: 'disconnected', api: 'function', singleton: 'disconnected' });
  });

  it('bundles with Vite', async () => {
    fs.writeFileSync(
      path.join(project, 'index.html'),
      '<!doctype html><html><body><script type="module" src="/main.js"></script></body></html>',
    );
    fs.writeFileSync(
      path.join(project, 'main.js'),
      "import { OpenEyeClient } from '@openeye/client';\n" +
        "window.client = new OpenEyeClient({ baseUrl: 'https://openeye.example' });\n",
    );
    await run(process.execPath, [path.join(root, 'node_modules/vite/bin/vite.js'), 'build', '--logLevel', 'warn'], {
      cwd: project,
      env,
    });
    const assets = path.join(project, 'dist/assets');
    const code = fs
      .readdirSync(assets)
      .filter((f) => f.endsWith('.js'))
      .map((f) => fs.readFileSync(path.join(assets, f), 'utf8'))
      .join('\n');
    expect(code).toContain('/api/ws/statistics'); // WS_PATH, from @openeye/protocol/constants
    expect(code).not.toMatch(/from\s*["']@openeye\//);
  }, 120_000);

  it('ships a minified <script> build that defines the global OpenEye', () => {
    const file = path.join(project, 'node_modules/@openeye/client/dist/openeye-client.iife.js');
    const code = fs.readFileSync(file, 'utf8');
    expect(code.split('\n').length).toBeLessThan(10);
    expect(code).not.toMatch(/\bimport\s*[{(*]|\brequire\(/);
    const context = vm.createContext({});
    vm.runInContext(code, context, { filename: file });
    const OpenEye = context.OpenEye as Record<string, unknown> & {
      OpenEyeClient: new (o: object) => { getStatus(): string };
      wsService: { getStatus(): string };
    };
    expect(typeof OpenEye.OpenEyeClient).toBe('function');
    expect(typeof OpenEye.OpenEyeApi).toBe('function');
    expect(new OpenEye.OpenEyeClient({ baseUrl: 'https://openeye.example' }).getStatus()).toBe('disconnected');
    expect(OpenEye.wsService.getStatus()).toBe('disconnected');
  });
});
