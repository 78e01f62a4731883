#!/usr/bin/env node
/**
 * Prints the size of the browser bundle of @openeye/client: src/index.ts bundled by Vite in
 * library mode (ES module, minified, every dependency inlined; React is not part of the entry),
 * raw and gzipped. Usage: node packages/client/scripts/size.mjs [--json]
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build, defaultClientConditions } from 'vite';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

async function measure(entry) {
  const outputs = await build({
    configFile: false,
    logLevel: 'silent',
    root,
    resolve: { conditions: ['source', ...defaultClientConditions] },
    build: {
      write: false,
      minify: true,
      target: 'es2022',
      lib: { entry: path.join(root, entry), formats: ['es'], fileName: 'index' },
      rolldownOptions: { external: ['react'] },
    },
  });
  const output = (Array.isArray(outputs) ? outputs : [outputs]).flatMap((o) => o.output);
  const code = output
    .filter((o) => o.type === 'chunk')
    .map((o) => o.code)
    .join('');
  const external = output.flatMap((o) => (o.type === 'chunk' ? o.imports : []));
  return { entry, raw: Buffer.byteLength(code), gzip: gzipSync(code, { level: 9 }).length, imports: external };
}

const results = [await measure('src/index.ts'), await measure('src/react.ts')];
if (process.argv.includes('--json')) {
  console.log(JSON.stringify(results, null, 2));
} else {
  for (const r of results) {
    const kb = (n) => `${(n / 1024).toFixed(1)} KiB`;
    const imports = r.imports.length ? `, imports: ${r.imports.join(', ')}` : ', no imports';
    console.log(
      `${r.entry}: ${r.raw} bytes minified (${kb(r.raw)}), ${r.gzip} bytes gzipped (${kb(r.gzip)})${imports}`,
    );
  }
}
