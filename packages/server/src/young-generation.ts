/**
 * Keeps V8's young generation at its initial size (two 1 MB semi-spaces) while the server starts.
 * Left alone, it grows to 2 × 16 MB while the modules load (most of what start-up allocates
 * survives: module code, schemas) and never gives it back: ~27 MB of the idle server's resident
 * memory (issue 16, docs/benchmarks.md "Idle memory").
 *
 * `--max-semi-space-size` only takes effect when the heap is created (command line, NODE_OPTIONS);
 * the growth factor is read each time the young generation would grow, so setting it to 1 from
 * here works, provided it runs before the modules are parsed: cli.ts calls `capYoungGeneration`
 * first and imports the rest of the program dynamically after it. Once the server listens,
 * `releaseYoungGeneration` gives V8 its default factor back, so under load the young generation
 * grows as it always did (throughput unchanged); a server that never sees load stays small.
 * Whoever sets a semi-space size of their own (`node --max-semi-space-size=N`, also through
 * NODE_OPTIONS) keeps V8's behaviour with it; `--max-semi-space-size=1` caps it for good.
 */
import v8 from 'node:v8';

/** V8's default `--semi-space-growth-factor` (Node 20 to 24). */
const V8_DEFAULT_GROWTH_FACTOR = 2;
let capped = false;

export function capYoungGeneration(): void {
  const own = [...process.execArgv, process.env.NODE_OPTIONS ?? ''].some((a) => /semi[-_]space/.test(a));
  if (own || capped) return;
  v8.setFlagsFromString('--semi-space-growth-factor=1');
  capped = true;
}

/** After start-up: the young generation may grow again under load. A no-op unless capped. */
export function releaseYoungGeneration(): void {
  if (!capped) return;
  v8.setFlagsFromString(`--semi-space-growth-factor=${V8_DEFAULT_GROWTH_FACTOR}`);
  capped = false;
}
