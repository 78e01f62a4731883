#!/usr/bin/env node
/**
 * Prints the size of @openeye/client as published: `npm pack` of protocol and client (their
 * `prepack` builds them) into a temporary directory, unpacked as node_modules there; then the
 * packed entries (`dist/index.js`, `dist/react.js`) bundled by Vite in library mode (ES module,
 * minified, @openeye/protocol's constants inlined, React external), and the packed `<script>`
 * build `dist/openeye-client.iife.js` as it is; raw and gzipped.
 * Usage: node packages/client/scripts/size.mjs [--json]
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'vite';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'openeye-size-'));

function sizes(code) {
  return { raw: Buffer.byteLength(code), gzip: gzipSync(code, { level: 9 }).length };
}

async function measure(dir, entry) {
  const outputs = await build({
    configFile: false,
    logLevel: 'silent',
    root: tmp,
    build: {
      write: false,
      minify: true,
      target: 'es2022',
      lib: { entry: path.join(dir, entry), formats: ['es'], fileName: 'index' },
      rolldownOptions: { external: ['react'] },
    },
  });
  const output = (Array.isArray(outputs) ? outputs : [outputs]).flatMap((o) => o.output);
  const code = output
    .filter((o) => o.type === 'chunk')
    .map((o) => o.code)
    .join('');
  const imports = output.flatMap((o) => (o.type === 'chunk' ? o.imports : []));
  return { entry, ...sizes(code), imports };
}

let results;
try {
  const packed = JSON.parse(
    (() => {
      const out = execFileSync(
        'npm',
        [
          'pack',
          '--workspace',
          '@openeye/protocol',
          '--workspace',
          '@openeye/client',
          '--pack-destination',
          tmp,
          '--json',
        ],
        { cwd: repo, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 16 * 1024 * 1024 },
      );
      return out.slice(out.indexOf('[\n'));
    })(),
  );
  for (const p of packed) {
    const dir = path.join(tmp, 'node_modules', p.name);
    fs.mkdirSync(dir, { recursive: true });
    execFileSync('tar', ['-xzf', path.join(tmp, p.filename), '-C', dir, '--strip-components=1']);
  }
  const client = path.join(tmp, 'node_modules/@openeye/client');
  const iife = 'dist/openeye-client.iife.js';
  results = [
    await measure(client, 'dist/index.js'),
    await measure(client, 'dist/react.js'),
    { entry: iife, ...sizes(fs.readFileSync(path.join(client, iife))), imports: [] },
  ];
} finally {
  fs.rmSync(tmp, { recursive: true, force: true });
}

if (process.argv.includes('--json')) {
  console.log(JSON.stringify(results, null, 2));
} else {
  for (const r of results) {
    const kb = (n) => `${(n / 1000).toFixed(1)} kB`;
    const imports = r.imports.length ? `, imports: ${r.imports.join(', ')}` : ', no imports';
    console.log(
      `${r.entry}: ${r.raw} bytes minified (${kb(r.raw)}), ${r.gzip} bytes gzipped (${kb(r.gzip)})${imports}`,
    );
  }
}
