import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type {
  FastifyBaseLogger,
  FastifyInstance,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerDefault,
} from 'fastify';
import type { Guard } from '../auth/guard.js';
import type { JwtService } from '../auth/jwt.js';
import type { LoginThrottle, WorkLimit } from '../auth/login-throttle.js';
import type { ClusterEngine } from '../cluster/engine.js';
import type { Config } from '../config.js';
import type { ApiKeysService } from '../domain/api-keys.js';
import type { DomainService } from '../domain/service.js';
import type { StatisticsService } from '../domain/statistics.js';
import type { UsersService } from '../domain/users.js';
import type { Store } from '../store/index.js';

export type App = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression<RawServerDefault>,
  RawReplyDefaultExpression<RawServerDefault>,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;

/** What route modules get: the services, never a socket. */
export interface RouteContext {
  config: Config;
  store: Store;
  domain: DomainService;
  statistics: StatisticsService;
  jwt: JwtService;
  guard: Guard;
  users: UsersService;
  keys: ApiKeysService;
  /** The cluster's figures (connections, presence). */
  engine: ClusterEngine;
  loginThrottle: LoginThrottle;
  /** Bounds password hashing for unauthenticated requests. */
  loginWork: WorkLimit;
}
