/** API keys for producers: created for a producer (or admin) account, listed, revoked. */
import type { ApiKey, CreateApiKeyRequest, CreatedApiKey } from '@openeye/protocol';
import { generateApiKey } from '../auth/api-keys.js';
import type { ApiKeyRecord, Store } from '../store/index.js';
import { badRequest, notFound } from './errors.js';

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
    private readonly now: () => Date = () => new Date(),
  ) {}

  async list(): Promise<ApiKey[]> {
    return (await this.store.apiKeys.list()).map(publicKey);
  }

  async create(input: CreateApiKeyRequest): Promise<CreatedApiKey> {
    const user = await this.store.users.byId(input.user_id);
    if (!user) throw notFound('User');
    if (user.role === 'viewer') throw badRequest('user_id: API keys are for producer or admin accounts', 'user_id');
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

  /** Revokes a key at once (it is refused from the next request on); revoking twice is fine. */
  async revoke(id: number): Promise<ApiKey> {
    const record = await this.store.apiKeys.revoke(id, this.now().toISOString());
    if (!record) throw notFound('API key');
    return publicKey(record);
  }
}
