/**
 * API keys: created for an account (a producer's or admin's key acts as a producer; a viewer's, as
 * a read-only viewer: a kiosk screen), listed, revoked. Revoking publishes, so every node closes
 * the key's open sockets.
 */
import type { ApiKey, CreateApiKeyRequest, CreatedApiKey } from '@openeye/protocol';
import { generateApiKey } from '../auth/api-keys.js';
import type { EventPublisher } from '../cluster/engine.js';
import type { ApiKeyRecord, Store } from '../store/index.js';
import { notFound } from './errors.js';

function publicKey(k: ApiKeyRecord): ApiKey {
  return {
    id: k.id,
    name: k.name,
    user_id: k.user_id,
    prefix: `oek_${k.prefix}`,
    camera_ids: k.camera_ids,
    created_at: k.created_at,
    last_used_at: k.last_used_at,
    revoked_at: k.revoked_at,
  };
}

export class ApiKeysService {
  constructor(
    private readonly store: Store,
    /** The cluster bus (null for the CLI, which runs beside the server: its sockets stay until they reconnect). */
    private readonly bus: EventPublisher | null = null,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async list(): Promise<ApiKey[]> {
    return (await this.store.apiKeys.list()).map(publicKey);
  }

  async create(input: CreateApiKeyRequest): Promise<CreatedApiKey> {
    const user = await this.store.users.byId(input.user_id);
    if (!user) throw notFound('User');
    const { key, prefix, secret_hash } = generateApiKey();
    const record = await this.store.apiKeys.create({
      user_id: user.id,
      name: input.name,
      prefix,
      secret_hash,
      camera_ids: input.camera_ids ?? null,
      created_at: this.now().toISOString(),
    });
    return { ...publicKey(record), key };
  }

  /**
   * Revokes a key at once: refused from the next request on, and its open sockets are closed
   * (1008 `Invalid token`) on every node. Revoking twice is fine.
   */
  async revoke(id: number): Promise<ApiKey> {
    const record = await this.store.apiKeys.revoke(id, this.now().toISOString());
    if (!record) throw notFound('API key');
    this.bus?.publish({ kind: 'key_revoked', keyId: record.id });
    return publicKey(record);
  }
}
