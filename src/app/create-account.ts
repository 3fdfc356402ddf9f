import type { Account, AccountId } from '../domain/account.js'
import type { Money } from '../domain/money.js'
import type { AccountCache } from '../ports/account-cache.js'
import type { AccountStore } from '../ports/account-store.js'

export interface CreateAccountInput {
  accountId: AccountId
  initialBalance: Money
}

export type CreateAccount = (input: CreateAccountInput) => Promise<Account>

/** Opens an account holding `initialBalance` (zero is allowed). Throws AccountExists for a taken id. */
export function createAccount(deps: { accounts: AccountStore; cache: AccountCache }): CreateAccount {
  return async ({ accountId, initialBalance }) => {
    const account: Account = { id: accountId, balance: initialBalance, version: 0 }
    await deps.accounts.create(account)
    await deps.cache.put([account])
    return account
  }
}
