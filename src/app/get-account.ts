import type { Account, AccountId } from '../domain/account.js'
import { AccountNotFound } from '../domain/errors.js'
import type { AccountCache } from '../ports/account-cache.js'
import type { AccountRecords } from '../ports/account-records.js'
import { SingleFlight } from './single-flight.js'

export type GetAccount = (accountId: AccountId) => Promise<Account>

/**
 * The account as last committed, from the cache when it has it. Concurrent misses for one account
 * share a single store read, whose result fills the cache. Throws AccountNotFound.
 */
export function getAccount(deps: { accounts: AccountRecords; cache: AccountCache }): GetAccount {
  const flights = new SingleFlight<AccountId, Account | undefined>()

  const readThrough = async (id: AccountId): Promise<Account | undefined> => {
    // A flight that starts just after another one filled the cache finds the value there.
    const cached = await deps.cache.get(id)
    if (cached) return cached
    const account = await deps.accounts.find(id)
    // The fill is not awaited: the reader has its answer, and a stalled cache must not hold it.
    // Fills are versioned, so one that lands late never replaces a newer balance.
    if (account) void deps.cache.put([account])
    return account
  }

  return async (accountId) => {
    const account = (await deps.cache.get(accountId)) ?? (await flights.run(accountId, () => readThrough(accountId)))
    if (!account) throw new AccountNotFound(accountId)
    return account
  }
}
