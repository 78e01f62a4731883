/**
 * What the server's start-up leaves in memory (issue 16, docs/benchmarks.md "Idle memory").
 *
 * 1. The young generation stays at its initial size (two 1 MB semi-spaces) while the server
 *    starts. Left alone, it grows to 2 × 16 MB while the modules load (most of what start-up
 *    allocates survives: module code, schemas) and never gives it back: ~27 MB.
 *    `--max-semi-space-size` only takes effect when the heap is created (command line,
 *    NODE_OPTIONS); the growth factor is read each time the young generation would grow, so
 *    setting it to 1 from here works, provided it runs before the modules are parsed: cli.ts calls
 *    `prepareStart` first and imports the rest of the program dynamically after it.
 * 2. Once the server listens, `settleAfterStart` runs one compacting full GC (start-up's garbage
 *    is spread over the old generation's pages, which a plain GC would not give back: ~6 MB; it
 *    takes 0.1–0.2 s, once) and gives V8 its default growth factor back, so under load the young
 *    generation grows as it always did (throughput unchanged).
 *
 * Only for a server started by cli.ts (and the bench, which starts it the same way): tests and
 * embedders that call createServer themselves are left alone. Whoever sets a semi-space size of
 * their own (`node --max-semi-space-size=N`, also through NODE_OPTIONS) keeps V8's behaviour with
 * it; `--max-semi-space-size=1` caps the young generation for good.
 */
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';

/** V8's default `--semi-space-growth-factor` (Node 20 to 24). */
const V8_DEFAULT_GROWTH_FACTOR = 2;
let prepared = false;
let capped = false;

export function prepareStart(): void {
  if (prepared) return;
  prepared = true;
  const own = [...process.execArgv, process.env.NODE_OPTIONS ?? ''].some((a) => /semi[-_]space/.test(a));
  if (own) return;
  v8.setFlagsFromString('--semi-space-growth-factor=1');
  capped = true;
}

/** After start-up (listen): one compacting GC, and the young generation may grow again. */
export function settleAfterStart(): void {
  if (!prepared) return;
  prepared = false;
  // `gc` exists in a context created while --expose-gc is set; the flag is cleared right after.
  v8.setFlagsFromString('--expose-gc');
  v8.setFlagsFromString('--compact-on-every-full-gc');
  try {
    (runInNewContext('gc') as () => void)();
  } finally {
    v8.setFlagsFromString('--no-compact-on-every-full-gc');
    v8.setFlagsFromString('--no-expose-gc');
  }
  if (capped) {
    v8.setFlagsFromString(`--semi-space-growth-factor=${V8_DEFAULT_GROWTH_FACTOR}`);
    capped = false;
  }
}
