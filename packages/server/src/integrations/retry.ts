/**
 * A bridge write, tried again when that can help: once after a 404 (a cached camera or person was
 * deleted; the retry looks it up again), and up to three times with a growing pause after an error
 * that is not the domain's (the database briefly away). The message waits meanwhile: it is
 * acknowledged to the broker only afterwards.
 */
import { DomainError } from '../domain/errors.js';

export type Outcome<T> = { ok: true; value: T } | { ok: false; error: unknown };

export async function writeWithRetry<T>(
  write: () => Promise<T>,
  pauses: readonly number[] = [250, 1000, 4000],
): Promise<Outcome<T>> {
  let retriedGone = false;
  for (let attempt = 0; ; attempt++) {
    try {
      return { ok: true, value: await write() };
    } catch (error) {
      if (error instanceof DomainError) {
        if (error.status === 404 && !retriedGone) {
          retriedGone = true;
          attempt--;
          continue;
        }
        return { ok: false, error };
      }
      const pause = pauses[attempt];
      if (pause === undefined) return { ok: false, error };
      await new Promise((r) => setTimeout(r, pause));
    }
  }
}
