import type { Account, AccountId } from '../domain/account.js'

/**
 * A fast copy of committed accounts, never the source of truth. Its methods never throw: a cache
 * that cannot answer in time behaves as a miss, so the store answers instead.
 */
export interface AccountCache {
  /** The cached account, or undefined on a miss, on a failure, or while the id awaits repair. */
  get(id: AccountId): Promise<Account | undefined>

  /**
   * Stores committed accounts in one round trip. Each lands only if its version is newer than the
   * cached one, so late or reordered writes can never replace a newer balance. When the write
   * fails, `get` treats those ids as misses until a later write of them lands.
   */
  put(accounts: readonly Account[]): Promise<void>
}
