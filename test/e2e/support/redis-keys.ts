import { Redis } from 'ioredis'

/** `text` as a SCAN pattern that matches it literally. */
const literal = (text: string) => text.replace(/[*?[\]\\]/g, '\\$&')

async function connected(url: string): Promise<Redis | undefined> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 2000 })
  redis.on('error', () => {})
  return redis.connect().then(
    () => redis,
    () => undefined,
  )
}

async function* batchesUnder(redis: Redis, prefix: string): AsyncGenerator<string[]> {
  yield* redis.scanStream({ match: `${literal(prefix)}*`, count: 500 }) as AsyncIterable<string[]>
}

/** The keys under `prefix` in the Redis at `url`; none when it does not answer. */
export async function keysUnder(url: string, prefix: string): Promise<string[]> {
  const redis = await connected(url)
  if (!redis) return []
  try {
    const keys: string[] = []
    for await (const batch of batchesUnder(redis, prefix)) keys.push(...batch)
    return keys
  } finally {
    redis.disconnect()
  }
}

/**
 * Removes every key under `prefix` from the Redis at `url`. The e2e services that run as processes
 * use the machine's Redis, which other runs share, so each removes exactly its own namespace; a
 * Redis that does not answer holds none of its keys, and is left alone.
 */
export async function removeKeys(url: string, prefix: string): Promise<void> {
  const redis = await connected(url)
  if (!redis) return
  try {
    for await (const keys of batchesUnder(redis, prefix)) if (keys.length > 0) await redis.unlink(...keys)
  } finally {
    redis.disconnect()
  }
}
