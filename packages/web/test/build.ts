/** The dashboard built with Vite into a temporary directory (removed at the end of the file): never packages/web/dist. */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import { tempDir } from '../../server/src/testing.js';

const webDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

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
