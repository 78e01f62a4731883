/** Picks the cluster engine the configuration names: Redis, NATS, or the in-process one. */
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import type { ClusterEngine } from './engine.js';
import { LocalEngine } from './local.js';
import { NatsEngine } from './nats.js';
import { RedisEngine } from './redis.js';

export function createEngine(config: Config, log: Logger): ClusterEngine {
  if (config.redisUrl) {
    return new RedisEngine(
      {
        url: config.redisUrl,
        prefix: config.redisPrefix,
        maxConnectionsPerUser: config.maxConnectionsPerUser,
        leaseMs: config.nodeLeaseMs,
      },
      log,
    );
  }
  if (config.natsUrl) {
    return new NatsEngine(
      {
        url: config.natsUrl,
        prefix: config.natsPrefix,
        maxConnectionsPerUser: config.maxConnectionsPerUser,
        leaseMs: config.nodeLeaseMs,
      },
      log,
    );
  }
  return new LocalEngine(config.maxConnectionsPerUser);
}
