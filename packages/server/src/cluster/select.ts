/**
 * Picks the cluster engine the configuration names: Redis, NATS, or the in-process one. The Redis
 * and NATS engines (and their clients) are loaded only when configured: a single node does not
 * carry them (idle memory, docs/benchmarks.md).
 */
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import type { ClusterEngine } from './engine.js';
import { LocalEngine } from './local.js';

export async function createEngine(config: Config, log: Logger): Promise<ClusterEngine> {
  if (config.redisUrl) {
    const { RedisEngine } = await import('./redis.js');
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
    const { NatsEngine } = await import('./nats.js');
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
