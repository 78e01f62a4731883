import type { Person } from '@openeye/protocol';
import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

const toPerson = (r: { id: number; name: string; created_at: string }): Person => ({
  id: Number(r.id),
  name: r.name,
  created_at: r.created_at,
});

export class PeopleRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async list(): Promise<Person[]> {
    return (await this.db.selectFrom('people').selectAll().orderBy('id').execute()).map(toPerson);
  }

  async byId(id: number): Promise<Person | null> {
    const r = await this.db.selectFrom('people').selectAll().where('id', '=', id).executeTakeFirst();
    return r ? toPerson(r) : null;
  }

  async create(name: string, now: string): Promise<Person> {
    return toPerson(
      await this.db.insertInto('people').values({ name, created_at: now }).returningAll().executeTakeFirstOrThrow(),
    );
  }

  async rename(id: number, name: string): Promise<Person | null> {
    const r = await this.db.updateTable('people').set({ name }).where('id', '=', id).returningAll().executeTakeFirst();
    return r ? toPerson(r) : null;
  }

  async delete(id: number): Promise<boolean> {
    const r = await this.db.deleteFrom('people').where('id', '=', id).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  async count(): Promise<number> {
    const r = await this.db
      .selectFrom('people')
      .select((eb) => eb.fn.countAll<string | number>().as('n'))
      .executeTakeFirst();
    return Number(r?.n ?? 0);
  }
}
