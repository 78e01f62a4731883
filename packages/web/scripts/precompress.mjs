/**
 * After `vite build`: writes `file.br` (brotli, quality 11) and `file.gz` (gzip, level 9) beside
 * each text file of dist/ worth compressing, so the server sends the smallest bytes without
 * spending a second of CPU on the first request (packages/server/src/http/static.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';

const dist = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', process.argv[2] ?? 'dist');
const TEXT = /\.(html|js|mjs|css|json|webmanifest|svg|txt|ico)$/i;
const MIN_BYTES = 512;

let files = 0;
let before = 0;
let after = 0;
const walk = (dir) => {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) walk(full);
    else if (entry.isFile() && TEXT.test(entry.name)) {
      const body = fs.readFileSync(full);
      if (body.length < MIN_BYTES) continue;
      const br = zlib.brotliCompressSync(body, {
        params: {
          [zlib.constants.BROTLI_PARAM_QUALITY]: zlib.constants.BROTLI_MAX_QUALITY,
          [zlib.constants.BROTLI_PARAM_MODE]: zlib.constants.BROTLI_MODE_TEXT,
          [zlib.constants.BROTLI_PARAM_SIZE_HINT]: body.length,
        },
      });
      fs.writeFileSync(`${full}.br`, br);
      fs.writeFileSync(`${full}.gz`, zlib.gzipSync(body, { level: zlib.constants.Z_BEST_COMPRESSION }));
      files++;
      before += body.length;
      after += br.length;
    }
  }
};
walk(dist);
console.log(`precompressed ${files} files: ${(before / 1024).toFixed(0)} kB -> ${(after / 1024).toFixed(0)} kB brotli`);
