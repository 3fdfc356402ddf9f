import type { Redis } from 'ioredis'

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
export function logCacheAtStart(redis: Redis | undefined, logger: StartLogger): void {
  if (!redis) {
    logger.info({ cache: 'disabled' }, 'account cache off (REDIS_URL is empty): reads go to MariaDB')
    return
  }
  const redisAt = redis.options.path ?? `${redis.options.host ?? 'localhost'}:${redis.options.port ?? 6379}`
  let lastError: Error | undefined
  const noteError = (error: Error) => (lastError = error)
  const patience = setTimeout(
    () =>
      logger.warn(
        { cache: 'unreachable', redis: redisAt, reason: lastError?.message ?? 'no answer' },
        `account cache: Redis at ${redisAt} is not reachable yet; reads go to MariaDB until it connects (REDIS_URL)`,
      ),
    redis.options.connectTimeout ?? 1000,
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
