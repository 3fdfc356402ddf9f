import { Redis } from 'ioredis'

export interface RedisSettings {
  url: string
  /** Bound on every command; past it the read falls through to MariaDB. */
  commandTimeoutMs: number
  connectTimeoutMs: number
}

/**
 * An ioredis client that fails fast instead of waiting for Redis: no offline queue, no per-request
 * retries, a short command timeout. It reconnects on its own, forever, at most a second apart.
 */
export function createRedisClient(settings: RedisSettings): Redis {
  return new Redis(settings.url, {
    commandTimeout: settings.commandTimeoutMs,
    connectTimeout: settings.connectTimeoutMs,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: (attempt) => Math.min(attempt * 100, 1000),
    // Concurrent commands share one write to the socket: fewer syscalls under load.
    enableAutoPipelining: true,
  })
}
