import type { Account, AccountId } from '../domain/account.js'
import { AccountNotFound } from '../domain/errors.js'
import type { AccountStore } from '../ports/account-store.js'

export type GetAccount = (accountId: AccountId) => Promise<Account>

/** The account as last committed. Throws AccountNotFound. */
export function getAccount(deps: { accounts: AccountStore }): GetAccount {
  return async (accountId) => {
    const account = await deps.accounts.find(accountId)
    if (!account) throw new AccountNotFound(accountId)
    return account
  }
}
