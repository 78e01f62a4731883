import type { Kysely } from 'kysely';
import { AlertsRepository } from './alerts.js';
import { ApiKeysRepository } from './api-keys.js';
import { CamerasRepository } from './cameras.js';
import { type Engine, openDatabase } from './db.js';
import { EventsRepository } from './events.js';
import { MediaRepository } from './media.js';
import { MetaRepository } from './meta.js';
import { NotifyRepository } from './notify.js';
import { PeopleRepository } from './people.js';
import { ReceiptsRepository } from './receipts.js';
import { RecognitionsRepository } from './recognitions.js';
import type { Database } from './schema.js';
import { UsersRepository } from './users.js';

/** The repositories over one connection (or one transaction). */
export class Repositories {
  readonly users: UsersRepository;
  readonly cameras: CamerasRepository;
  readonly people: PeopleRepository;
  readonly recognitions: RecognitionsRepository;
  readonly events: EventsRepository;
  readonly apiKeys: ApiKeysRepository;
  readonly media: MediaRepository;
  readonly alerts: AlertsRepository;
  readonly notify: NotifyRepository;
  readonly receipts: ReceiptsRepository;
  readonly meta: MetaRepository;

  constructor(readonly db: Kysely<Database>) {
    this.users = new UsersRepository(db);
    this.cameras = new CamerasRepository(db);
    this.people = new PeopleRepository(db);
    this.recognitions = new RecognitionsRepository(db);
    this.events = new EventsRepository(db);
    this.apiKeys = new ApiKeysRepository(db);
    this.media = new MediaRepository(db);
    this.alerts = new AlertsRepository(db);
    this.notify = new NotifyRepository(db);
    this.receipts = new ReceiptsRepository(db);
    this.meta = new MetaRepository(db);
  }
}

export class Store extends Repositories {
  private constructor(
    db: Kysely<Database>,
    readonly engine: Engine,
    readonly location: string,
  ) {
    super(db);
  }

  static async open(options: { databaseUrl: string | null; dataDir: string }): Promise<Store> {
    const { db, engine, location } = await openDatabase(options);
    return new Store(db, engine, location);
  }

  /** Runs `fn` in one transaction with repositories bound to it. */
  transaction<T>(fn: (tx: Repositories) => Promise<T>): Promise<T> {
    return this.db.transaction().execute((tx) => fn(new Repositories(tx)));
  }

  async ping(): Promise<void> {
    await this.db.selectFrom('meta').select('key').limit(1).execute();
  }

  close(): Promise<void> {
    return this.db.destroy();
  }
}

export type { ApiKeyRecord } from './api-keys.js';
export type { Engine } from './db.js';
export { type EventFilter, type EventKind, parseEventId, toMessage } from './events.js';
export type { StoredMedia } from './media.js';
export type { Receipt } from './receipts.js';
export { publicUser, type UserRecord } from './users.js';
