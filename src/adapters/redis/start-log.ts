import type { Redis } from 'ioredis'

/** The part of a pino logger the start-up line needs. */
export interface StartLogger {
  info(details: object, message: string): void
  warn(details: object, message: string): void
}

/**
 * Says at start whether reads have a cache, once Redis has answered or failed to: the service
 * listens without waiting for it. Unreachable, reads go to MariaDB meanwhile and the client keeps
 * reconnecting; the line then says so, and a second one says when it connects.
 */
export function logCacheAtStart(redis: Redis | undefined, logger: StartLogger): void {
  if (!redis) {
    logger.info({ cache: 'disabled' }, 'account cache off (REDIS_URL is empty): reads go to MariaDB')
    return
  }
  const redisAt = redis.options.path ?? `${redis.options.host ?? 'localhost'}:${redis.options.port ?? 6379}`
  const connected = () => {
    redis.off('error', unreachable)
    logger.info({ cache: 'redis', redis: redisAt }, 'account cache: Redis connected')
  }
  const unreachable = (error: Error) =>
    logger.warn(
      { cache: 'unreachable', redis: redisAt, reason: error.message },
      `account cache: Redis at ${redisAt} is not reachable yet; reads go to MariaDB until it connects (REDIS_URL)`,
    )
  redis.once('ready', connected)
  redis.once('error', unreachable)
}
