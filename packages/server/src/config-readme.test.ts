/**
 * The README's configuration table and the setting definition (`SETTINGS` in config.ts) name the
 * same variables and flags: adding a setting without documenting it, or documenting one that does
 * not exist, fails here.
 */
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { SETTING_LIST } from './config.js';

const README = fileURLToPath(new URL('../../../README.md', import.meta.url));

/** The first cell of every row of the table under `## Configuration`: the backticked names in it. */
function readmeRows(markdown: string): { envs: string[]; flags: string[] }[] {
  const start = markdown.indexOf('\n## Configuration\n');
  if (start < 0) throw new Error('README.md has no "## Configuration" section');
  const end = markdown.indexOf('\n## ', start + 1);
  const section = markdown.slice(start, end < 0 ? undefined : end);
  const rows = section.split('\n').filter((line) => line.startsWith('|'));
  if (rows.length < 3) throw new Error('no table in the "## Configuration" section of README.md');
  return rows.slice(2).map((row) => {
    const first = row.split('|')[1] ?? '';
    const names = [...first.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);
    return {
      envs: names.filter((n) => /^[A-Z][A-Z0-9_]*$/.test(n)),
      flags: names.filter((n) => n.startsWith('--')).map((n) => n.slice(2)),
    };
  });
}

describe('README configuration table', () => {
  const rows = readmeRows(fs.readFileSync(README, 'utf8'));
  const documented = rows.flatMap((r) => r.envs);

  it('lists every variable of the definition', () => {
    const missing = SETTING_LIST.map((s) => s.env).filter((env) => !documented.includes(env));
    expect(missing, 'variables missing from the README configuration table').toEqual([]);
  });

  it('lists no variable the definition does not have, and each once', () => {
    const known = new Set(SETTING_LIST.map((s) => s.env));
    expect(
      documented.filter((env) => !known.has(env)),
      'variables in the README that config.ts does not define',
    ).toEqual([]);
    expect(documented.filter((env, i) => documented.indexOf(env) !== i)).toEqual([]);
  });

  it('names each flag beside its variable', () => {
    const pairs = rows.flatMap((r) => r.flags.map((flag) => `${r.envs.join('/')} --${flag}`));
    const expected = rows.flatMap((r) =>
      SETTING_LIST.filter((s) => s.flag && r.envs.includes(s.env)).map((s) => `${r.envs.join('/')} --${s.flag}`),
    );
    expect(pairs.sort()).toEqual(expected.sort());
  });

  it('finds the table (every row names a variable)', () => {
    expect(rows.length).toBeGreaterThan(10);
    expect(rows.filter((r) => r.envs.length === 0)).toEqual([]);
  });
});
