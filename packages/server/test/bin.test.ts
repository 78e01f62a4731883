/**
 * The `openeye` command as npm installs it: `node_modules/.bin/openeye` is linked to the committed
 * launcher (packages/server/bin/openeye.js) at install time, before `prepare` builds dist/, so it
 * exists after a fresh `npm install`. `.ci/run` checks the same through `npx --no-install openeye`
 * on a clean clone.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const serverDir = path.join(root, 'packages/server');

describe('the openeye bin', () => {
  it('is linked by npm and answers --version from the built CLI', async () => {
    const bin = path.join(root, 'node_modules/.bin/openeye');
    expect(fs.existsSync(bin), `${bin} is missing: npm did not link the bin`).toBe(true);
    const { version } = JSON.parse(fs.readFileSync(path.join(serverDir, 'package.json'), 'utf8'));
    const { stdout, stderr } = await run(bin, ['--version'], { env: { PATH: process.env.PATH ?? '' } });
    expect(stdout).toBe(`${version}\n`);
    expect(stderr).toBe('');
  });

  it('says to run npm run build when dist/ is missing', async () => {
    // A copy of the launcher beside an empty "dist": what a fresh clone looks like before the build.
    const dir = fs.mkdtempSync(path.join(fs.realpathSync(process.env.TMPDIR ?? '/tmp'), 'openeye-bin-'));
    try {
      fs.mkdirSync(path.join(dir, 'bin'));
      fs.copyFileSync(path.join(serverDir, 'bin/openeye.js'), path.join(dir, 'bin/openeye.js'));
      fs.writeFileSync(path.join(dir, 'package.json'), '{"type":"module"}');
      const failed = await run(process.execPath, [path.join(dir, 'bin/openeye.js'), '--version']).then(
        () => null,
        (err: { code: number; stderr: string }) => err,
      );
      expect(failed?.code).toBe(1);
      expect(failed?.stderr).toMatch(/^openeye: .*dist\/cli\.js is missing.*npm run build/);
      expect(failed?.stderr.trim().split('\n')).toHaveLength(1);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
