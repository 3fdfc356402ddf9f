import { Cluster, Redis } from 'ioredis'
import { parseRedisUrl } from './redis-url.js'

export interface RedisSettings {
  /** redis://, rediss://, redis-sentinel:// or redis-cluster:// (see parseRedisUrl). */
  url: string
  /** Bound on every command; past it the read falls through to MariaDB. */
  commandTimeoutMs: number
  connectTimeoutMs: number
}

/** One Redis (found directly or through sentinels) or a Redis Cluster: the commands are the same. */
export type RedisClient = Redis | Cluster

/**
 * An ioredis client that fails fast instead of waiting for Redis: no offline queue, no per-request
 * retries, a short command timeout. It reconnects on its own, forever, at most a second apart;
 * through sentinels it reconnects to whichever Redis they name master, and learns of a failover
 * from them at once; a Cluster client follows the slots as they move.
 */
export function createRedisClient(settings: RedisSettings): RedisClient {
  const target = parseRedisUrl(settings.url)
  const options = {
    commandTimeout: settings.commandTimeoutMs,
    connectTimeout: settings.connectTimeoutMs,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: (attempt: number) => Math.min(attempt * 100, 1000),
    // Concurrent commands share one write to the socket: fewer syscalls under load.
    enableAutoPipelining: true,
  }
  if (target.mode === 'single') return new Redis(target.url, options)
  const auth = target.password ? { password: target.password } : {}
  if (target.mode === 'sentinel') {
    return new Redis({
      ...options,
      ...auth,
      sentinels: target.sentinels,
      name: target.name,
      sentinelRetryStrategy: (attempt) => Math.min(attempt * 100, 1000),
      failoverDetector: true,
    })
  }
  return new Cluster(target.nodes, {
    redisOptions: { ...options, ...auth, enableAutoPipelining: false },
    enableOfflineQueue: false,
    // ioredis's cluster auto-pipelining refuses a pipeline whose keys span slot groups, which one
    // batch's refreshes do; the calls go out concurrently on each node's connection all the same.
    enableAutoPipelining: false,
    clusterRetryStrategy: (attempt) => Math.min(attempt * 100, 1000),
  })
}
