import type { Role } from '@openeye/protocol';
import { describe, expect, it } from 'vitest';
import type { WebSocket } from 'ws';
import { createLogger } from '../logger.js';
import type { Store } from '../store/index.js';
import { Connection } from './connection.js';
import type { Hub } from './hub.js';
import { RevocationSweep } from './revocations.js';

function conn(id: string, userId: number, tokenVersion: number, key: number | null = null, role: Role = 'viewer') {
  const c = new Connection(id, {} as WebSocket, userId, `user${userId}`, role, 0, '127.0.0.1', 10, 20);
  c.tokenVersion = tokenVersion;
  c.key = key === null ? null : { id: key, cameraIds: null };
  return c;
}

function setup(
  conns: Connection[],
  users: { id: number; disabled: boolean; token_version: number; role: Role }[],
  revokedKeys: number[],
) {
  const closed: string[] = [];
  const forgotten: number[] = [];
  const asked: string[] = [];
  const hub = {
    openConnections: () => conns.values(),
    outbox: { close: (c: Connection, code: number, reason: string) => closed.push(`${c.id} ${code} ${reason}`) },
  } as unknown as Hub;
  const store = {
    apiKeys: {
      revokedAmong: async (ids: number[]) => {
        asked.push(`keys ${ids}`);
        return ids.filter((id) => revokedKeys.includes(id));
      },
    },
    users: {
      byIds: async (ids: number[]) => {
        asked.push(`users ${ids}`);
        return users.filter((u) => ids.includes(u.id));
      },
    },
  } as unknown as Store;
  const sweep = new RevocationSweep(hub, store, (id) => forgotten.push(id), createLogger('silent'));
  return { sweep, closed, forgotten, asked };
}

describe('revocation sweep', () => {
  it('closes exactly the connections whose key, user, role or token version is no longer valid', async () => {
    const { sweep, closed, forgotten, asked } = setup(
      [
        conn('fine', 1, 3),
        conn('old-token', 2, 1),
        conn('new-token', 2, 2),
        conn('revoked-key', 3, 0, 7),
        conn('other-key', 3, 0, 8),
        conn('disabled', 4, 0),
        conn('deleted', 5, 0),
        conn('demoted', 6, 0, null, 'admin'),
        // An admin's key acts as a producer: its connection's role is not the user's.
        conn('admin-key', 7, 0, 9, 'producer'),
      ],
      [
        { id: 1, disabled: false, token_version: 3, role: 'viewer' },
        { id: 2, disabled: false, token_version: 2, role: 'viewer' },
        // A password change does not end a key's connections: the key is the credential.
        { id: 3, disabled: false, token_version: 5, role: 'viewer' },
        { id: 4, disabled: true, token_version: 0, role: 'viewer' },
        { id: 6, disabled: false, token_version: 0, role: 'viewer' },
        { id: 7, disabled: false, token_version: 0, role: 'admin' },
      ],
      [7],
    );
    await sweep.sweep();
    expect(closed).toEqual([
      'old-token 1008 Invalid token',
      'revoked-key 1008 Invalid token',
      'disabled 1008 Invalid token',
      'deleted 1008 Invalid token',
      'demoted 1008 Invalid token',
    ]);
    expect(forgotten.sort()).toEqual([2, 4, 5, 6]);
    // One read of each, for all connections.
    expect(asked).toEqual(['keys 7,8,9', 'users 1,2,3,4,5,6,7']);
  });

  it('asks the store nothing when no connection is open', async () => {
    const { sweep, closed, asked } = setup([], [], []);
    await sweep.sweep();
    expect(closed).toEqual([]);
    expect(asked).toEqual([]);
  });
});
