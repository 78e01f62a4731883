/**
 * The error-code tables of docs/protocol.md section 7, written from the catalogue
 * (`packages/protocol/src/errors.ts`). `packages/protocol/src/errors.test.ts` fails when the page
 * and the catalogue differ; this rewrites the page's tables.
 * Usage: npm run docs:errors
 */
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { REST_ERRORS, type RestErrorSpec, SOCKET_ERROR_CODES, SOCKET_ERRORS } from '../packages/protocol/src/errors.js';

export const PROTOCOL_DOC = fileURLToPath(new URL('../docs/protocol.md', import.meta.url));
export const BEGIN = '<!-- error-codes: generated from packages/protocol/src/errors.ts by `npm run docs:errors` -->';
export const END = '<!-- /error-codes -->';

const cell = (text: string) => text.replaceAll('|', '\\|');

function status(spec: RestErrorSpec): string {
  const also = Object.keys(spec.also ?? {});
  return also.length === 0 ? String(spec.status) : `${spec.status} (also ${also.join(', ')})`;
}

function meaning(spec: RestErrorSpec): string {
  const also = Object.entries(spec.also ?? {}).map(([s, when]) => ` ${s}: ${when}.`);
  return spec.meaning + also.join('');
}

/** The generated block, markers included. */
export function renderErrorTables(): string {
  const rest = Object.entries(REST_ERRORS as Record<string, RestErrorSpec>).map(
    ([code, spec]) => `| \`${code}\` | ${status(spec)} | ${cell(meaning(spec))} |`,
  );
  const socket = SOCKET_ERROR_CODES.map((code) => `| \`${code}\` | socket | ${cell(SOCKET_ERRORS[code].meaning)} |`);
  return [
    BEGIN,
    '',
    'REST: the body is `{ "error": code, "message": text, "field"?: name }`.',
    '',
    '| code | status | meaning |',
    '| --- | --- | --- |',
    ...rest,
    '',
    'Socket: an `error` message with `code`, `message` and, when the bad message had one, `request_type`.',
    '',
    '| code | status | meaning |',
    '| --- | --- | --- |',
    ...socket,
    '',
    END,
  ].join('\n');
}

/** The generated block as the page has it now, or null when the markers are missing. */
export function documentedErrorTables(markdown: string): string | null {
  const start = markdown.indexOf(BEGIN);
  const end = markdown.indexOf(END, start);
  return start < 0 || end < 0 ? null : markdown.slice(start, end + END.length);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === fs.realpathSync(process.argv[1])) {
  const markdown = fs.readFileSync(PROTOCOL_DOC, 'utf8');
  const current = documentedErrorTables(markdown);
  if (current === null) {
    console.error(`docs/protocol.md has no block between\n  ${BEGIN}\nand\n  ${END}`);
    process.exit(1);
  }
  fs.writeFileSync(PROTOCOL_DOC, markdown.replace(current, renderErrorTables()));
  console.log('docs/protocol.md: error tables written');
}
