/**
 * Queries built and compiled once, then run with new values: for the few statements every camera
 * event runs (the guard's user, the camera's `last_seen_at`, the event's insert). Kysely builds a
 * query as an immutable tree of frozen nodes and compiles it with a visitor on every call: in the
 * throughput benchmark's profile that was about a seventh of the CPU time of the POST of an event
 * (docs/benchmarks.md, "Before and after round 2"). The SQL is the same text Kysely writes for the
 * same builder (store/prepared.test.ts), so the statement cache of store/db.ts and PostgreSQL see
 * no difference.
 *
 * The builder is compiled with a placeholder for each argument; the placeholders' places in the
 * compiled parameters are where a call's arguments go. Compiled once per dialect (the adapter of
 * the Kysely instance or transaction it first runs on).
 */
import { type Compilable, type CompiledQuery, createQueryId, type Kysely } from 'kysely';
import type { Database } from './schema.js';

/** Stands for argument `index` while the query is compiled; never sent to a database. */
class Placeholder {
  constructor(readonly index: number) {}
}

interface Compiled {
  query: CompiledQuery;
  /** For each parameter: the argument it takes, or -1 for a constant of the builder. */
  slots: number[];
}

export class PreparedQuery<A extends unknown[], R> {
  private readonly byAdapter = new WeakMap<object, Compiled>();

  /**
   * `build` must use each argument as a value (a parameter), once or more, and nothing else:
   * the query's shape may not depend on the arguments (so no `is` / `is not` with an argument:
   * Kysely writes a null there as the literal `null`).
   */
  constructor(
    private readonly arity: A['length'],
    private readonly build: (db: Kysely<Database>, ...args: A) => Compilable<R>,
  ) {}

  private compiled(db: Kysely<Database>): Compiled {
    const adapter = db.getExecutor().adapter;
    let c = this.byAdapter.get(adapter);
    if (!c) {
      const args = Array.from({ length: this.arity }, (_, i) => new Placeholder(i)) as unknown as A;
      const query = this.build(db, ...args).compile();
      const slots = query.parameters.map((p) => (p instanceof Placeholder ? p.index : -1));
      for (let i = 0; i < this.arity; i++) {
        if (!slots.includes(i)) throw new Error(`prepared query: argument ${i} is not a parameter of ${query.sql}`);
      }
      c = { query, slots };
      this.byAdapter.set(adapter, c);
    }
    return c;
  }

  /** The query for `args`, compiled as the builder would compile it (without building it). */
  compile(db: Kysely<Database>, ...args: A): CompiledQuery<R> {
    const { query, slots } = this.compiled(db);
    const parameters = slots.map((slot, i) => (slot < 0 ? query.parameters[i] : args[slot]));
    return { query: query.query, queryId: createQueryId(), sql: query.sql, parameters };
  }

  /** Runs the query on `db` (the store or a transaction) with `args`: its rows. */
  async execute(db: Kysely<Database>, ...args: A): Promise<R[]> {
    return (await db.executeQuery(this.compile(db, ...args))).rows;
  }

  /** Runs the query (an update or delete without RETURNING): the number of rows it changed. */
  async affected(db: Kysely<Database>, ...args: A): Promise<number> {
    return Number((await db.executeQuery(this.compile(db, ...args))).numAffectedRows ?? 0n);
  }
}
