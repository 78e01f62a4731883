#!/usr/bin/env node
/**
 * Builds dist/openeye-client.iife.js, the `<script>`-tag build: the compiled client (dist/index.js,
 * run `tsc -b` first) with @openeye/protocol's constants inlined, as one minified IIFE that
 * defines the global `OpenEye` (every named export, plus `wsService`, the default singleton).
 * Usage: node packages/client/scripts/build-iife.mjs
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outfile = path.join(root, 'dist/openeye-client.iife.js');
if (!fs.existsSync(path.join(root, 'dist/index.js'))) {
  console.error('build-iife: dist/index.js is missing; run `tsc -b` first');
  process.exit(1);
}
const { version } = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));

await build({
  stdin: {
    contents: "export * from './dist/index.js';\nexport { default as wsService } from './dist/index.js';\n",
    resolveDir: root,
    sourcefile: 'openeye-client.iife-entry.js',
  },
  bundle: true,
  format: 'iife',
  globalName: 'OpenEye',
  platform: 'browser',
  target: 'es2022',
  minify: true,
  legalComments: 'none',
  banner: { js: `/* @openeye/client ${version} (MIT): <script> build, global OpenEye */` },
  outfile,
  logLevel: 'warning',
});
