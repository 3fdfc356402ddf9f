import type { RedisServer } from './redis-server.js'
import { type RunningService, type ServiceOptions, startService } from './service.js'

/**
 * A service caching in `redis` (a server of the test's own, which the test may stall or kill).
 * The service runs inside the test worker, beside the rest of the suite on two cores: a stall of
 * the worker's event loop longer than the default 50 ms fires the Redis command timeout before
 * the answer that already arrived is read, and a write that did land counts as failed. 150 ms
 * keeps the bounds the cache tests assert (1 s during a stall, 2 s during an outage) meaningful.
 */
export function startServiceCachedIn(redis: RedisServer, options: Omit<ServiceOptions, 'redisUrl'>): Promise<RunningService> {
  return startService({ ...options, redisUrl: redis.url, env: { REDIS_COMMAND_TIMEOUT_MS: '150', ...options.env } })
}
