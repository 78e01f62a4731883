import type { Role, User } from '@openeye/protocol';
import type { Kysely } from 'kysely';
import { PreparedQuery } from './prepared.js';
import type { Database, UsersTable } from './schema.js';

export interface UserRecord extends User {
  password_hash: string;
  /** Tokens signed with another version are invalid (a password change bumps it). */
  token_version: number;
}

type Row = Omit<UsersTable, 'id' | 'token_version'> & { id: number; token_version: number };

/** Ids per `IN (…)` list: far below SQLite's 32,766 parameters and PostgreSQL's 65,535. */
export const IN_CHUNK = 500;

const toRecord = (r: Row): UserRecord => ({
  id: Number(r.id),
  username: r.username,
  role: r.role,
  disabled: Boolean(r.disabled),
  camera_ids: readIds(r.camera_ids),
  created_at: r.created_at,
  password_hash: r.password_hash,
  token_version: Number(r.token_version),
});

/** A stored JSON list of camera ids; null (every camera) for null or anything unreadable. */
export function readIds(text: string | null): number[] | null {
  if (text === null) return null;
  try {
    const v: unknown = JSON.parse(text);
    return Array.isArray(v) ? v.filter((x): x is number => Number.isInteger(x) && x > 0) : null;
  } catch {
    return null;
  }
}

export const writeIds = (ids: readonly number[] | null): string | null =>
  ids === null ? null : JSON.stringify([...new Set(ids)].sort((a, b) => a - b));

export function publicUser(u: UserRecord): User {
  return {
    id: u.id,
    username: u.username,
    role: u.role,
    disabled: u.disabled,
    camera_ids: u.camera_ids,
    created_at: u.created_at,
  };
}

/** A user by id: every authenticated request reads it (prepared: compiled once, store/prepared.ts). */
export const userByIdQuery = new PreparedQuery(1, (db, id: number) =>
  db.selectFrom('users').selectAll().where('id', '=', id),
);

export class UsersRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async count(): Promise<number> {
    const r = await this.db
      .selectFrom('users')
      .select((eb) => eb.fn.countAll<string | number>().as('n'))
      .executeTakeFirst();
    return Number(r?.n ?? 0);
  }

  async list(): Promise<UserRecord[]> {
    return (await this.db.selectFrom('users').selectAll().orderBy('id').execute()).map(toRecord);
  }

  async byId(id: number): Promise<UserRecord | null> {
    const [r] = await userByIdQuery.execute(this.db, id);
    return r ? toRecord(r) : null;
  }

  /** The users of `ids` that exist (any order). */
  async byIds(ids: readonly number[]): Promise<UserRecord[]> {
    const out: UserRecord[] = [];
    for (let i = 0; i < ids.length; i += IN_CHUNK) {
      const rows = await this.db
        .selectFrom('users')
        .selectAll()
        .where('id', 'in', ids.slice(i, i + IN_CHUNK))
        .execute();
      for (const r of rows) out.push(toRecord(r));
    }
    return out;
  }

  async byUsername(username: string): Promise<UserRecord | null> {
    const r = await this.db.selectFrom('users').selectAll().where('username', '=', username).executeTakeFirst();
    return r ? toRecord(r) : null;
  }

  async create(
    u: { username: string; password_hash: string; role: Role; camera_ids?: number[] | null },
    now: string,
  ): Promise<UserRecord> {
    const r = await this.db
      .insertInto('users')
      .values({
        username: u.username,
        password_hash: u.password_hash,
        role: u.role,
        camera_ids: writeIds(u.camera_ids ?? null),
        disabled: 0,
        created_at: now,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toRecord(r);
  }

  async update(
    id: number,
    patch: { password_hash?: string; role?: Role; disabled?: boolean; camera_ids?: number[] | null },
  ): Promise<UserRecord | null> {
    const r = await this.db
      .updateTable('users')
      .set((eb) => ({
        ...(patch.role === undefined ? {} : { role: patch.role }),
        ...(patch.camera_ids === undefined ? {} : { camera_ids: writeIds(patch.camera_ids) }),
        ...(patch.disabled === undefined ? {} : { disabled: patch.disabled ? 1 : 0 }),
        // A new password revokes every token issued before it, whoever sets it (API or CLI).
        ...(patch.password_hash === undefined
          ? {}
          : { password_hash: patch.password_hash, token_version: eb('token_version', '+', 1) }),
      }))
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirst();
    return r ? toRecord(r) : null;
  }

  /** Replaces the hash of the same password (new parameters): no token is revoked. */
  async rehash(id: number, password_hash: string): Promise<void> {
    await this.db.updateTable('users').set({ password_hash }).where('id', '=', id).execute();
  }

  async delete(id: number): Promise<boolean> {
    const r = await this.db.deleteFrom('users').where('id', '=', id).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }
}
