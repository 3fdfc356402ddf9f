import { Cluster } from 'ioredis'
import type { RedisClient } from './client.js'

/** The part of a pino logger the start-up line needs. */
export interface StartLogger {
  info(details: object, message: string): void
  warn(details: object, message: string): void
}

/**
 * Says at start whether reads have a cache: the service listens without waiting for Redis. Not
 * connected within its connect timeout (a first handshake may time out on a busy machine and be
 * retried at once), the line says Redis is not reachable yet and reads go to MariaDB meanwhile;
 * the client keeps reconnecting, and a second line says when it connects.
 */
export function logCacheAtStart(redis: RedisClient | undefined, logger: StartLogger, redisAt = 'Redis'): void {
  if (!redis) {
    logger.info({ cache: 'disabled' }, 'account cache off (REDIS_URL is empty): reads go to MariaDB')
    return
  }
  let lastError: Error | undefined
  const noteError = (error: Error) => (lastError = error)
  const patience = setTimeout(
    () =>
      logger.warn(
        { cache: 'unreachable', redis: redisAt, reason: lastError?.message ?? 'no answer' },
        `account cache: Redis at ${redisAt} is not reachable yet; reads go to MariaDB until it connects (REDIS_URL)`,
      ),
    connectTimeoutOf(redis),
  )
  patience.unref()
  redis.on('error', noteError)
  redis.once('end', () => clearTimeout(patience))
  redis.once('ready', () => {
    clearTimeout(patience)
    redis.off('error', noteError)
    logger.info({ cache: 'redis', redis: redisAt }, 'account cache: Redis connected')
  })
}

function connectTimeoutOf(redis: RedisClient): number {
  const options = redis instanceof Cluster ? redis.options.redisOptions : redis.options
  return options?.connectTimeout ?? 1000
}
