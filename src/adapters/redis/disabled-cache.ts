import type { AccountCache } from '../../ports/account-cache.js'

/** The cache when REDIS_URL is empty: every read misses, every write is dropped. */
export const disabledCache: AccountCache = {
  get: async () => undefined,
  put: async () => {},
}
