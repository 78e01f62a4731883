/**
 * Accounts: listed, created, changed and removed by admins. A change that ends a user's sessions
 * (disabled, deleted, a new password, a new role) is published, so every node closes that user's
 * sockets; a new password also invalidates every older token (the users repository bumps the
 * token version).
 */
import type { CreateUserRequest, UpdateUserRequest, User } from '@openeye/protocol';
import { hashPassword } from '../auth/passwords.js';
import type { EventPublisher } from '../cluster/engine.js';
import { publicUser, type Store } from '../store/index.js';
import { conflict, notFound } from './errors.js';

export class UsersService {
  constructor(
    private readonly store: Store,
    private readonly bus: EventPublisher,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async list(): Promise<User[]> {
    return (await this.store.users.list()).map(publicUser);
  }

  async get(id: number): Promise<User> {
    const user = await this.store.users.byId(id);
    if (!user) throw notFound('User');
    return publicUser(user);
  }

  async create(input: CreateUserRequest): Promise<User> {
    if (await this.store.users.byUsername(input.username)) throw conflict('That username is taken', 'username');
    const user = await this.store.users.create(
      {
        username: input.username,
        role: input.role,
        camera_ids: input.camera_ids ?? null,
        password_hash: await hashPassword(input.password),
      },
      this.now().toISOString(),
    );
    return publicUser(user);
  }

  async update(id: number, patch: UpdateUserRequest): Promise<User> {
    const { password, ...rest } = patch;
    const user = await this.store.users.update(id, {
      ...rest,
      ...(password === undefined ? {} : { password_hash: await hashPassword(password) }),
    });
    if (!user) throw notFound('User');
    if (user.disabled || rest.role !== undefined || password !== undefined) {
      this.bus.publish({ kind: 'user_revoked', userId: user.id });
    } else if (rest.camera_ids !== undefined || rest.disabled !== undefined) {
      // New cameras, or enabled again: every node reads the user afresh (a node that refused the
      // disabled user must not keep refusing from its cache).
      this.bus.publish({ kind: 'user_access', userId: user.id });
    }
    return publicUser(user);
  }

  async delete(id: number, actingUserId: number): Promise<void> {
    if (id === actingUserId) throw conflict('You cannot delete your own account');
    if (!(await this.store.users.delete(id))) throw notFound('User');
    this.bus.publish({ kind: 'user_revoked', userId: id });
  }
}
