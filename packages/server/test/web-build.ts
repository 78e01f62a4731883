/**
 * The dashboard built with Vite into a temporary directory (removed by cleanUpTestResources at the
 * end of the file), for tests that need the real index.html and hashed assets: the run never
 * touches packages/web/dist.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import { tempDir } from '../src/testing.js';

const webDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../web');

export async function buildWeb(): Promise<string> {
  const outDir = tempDir('openeye-web-');
  const previousEnv = process.env.NODE_ENV;
  process.env.NODE_ENV = 'production';
  try {
    await build({
      root: webDir,
      configFile: path.join(webDir, 'vite.config.ts'),
      mode: 'production',
      logLevel: 'warn',
      build: { outDir, emptyOutDir: true, sourcemap: false },
    });
  } finally {
    process.env.NODE_ENV = previousEnv;
  }
  return outDir;
}
