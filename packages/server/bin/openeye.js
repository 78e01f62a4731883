#!/usr/bin/env node
// The `openeye` command. This file is committed (not built) so that npm can link it when it installs
// the workspace, which happens before `prepare` builds dist/: npm does not link a bin whose file is
// missing, and `npx openeye` would then ask the registry for a package named `openeye`.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const cli = new URL('../dist/cli.js', import.meta.url);
if (!existsSync(cli)) {
  process.stderr.write(
    `openeye: ${fileURLToPath(cli)} is missing: run \`npm run build\` (in the repository root) first\n`,
  );
  process.exit(1);
}
await import(cli.href);
