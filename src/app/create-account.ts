import type { Account, AccountId } from '../domain/account.js'
import type { Money } from '../domain/money.js'
import type { AccountCache } from '../ports/account-cache.js'
import { type Idempotency, type IdempotencyDeps, type IdempotentResult, runIdempotently } from './idempotently.js'

export interface CreateAccountInput {
  accountId: AccountId
  initialBalance: Money
  idempotency?: Idempotency<Account> | undefined
}

export type CreateAccount = (input: CreateAccountInput) => Promise<IdempotentResult<Account>>

/**
 * Opens an account holding `initialBalance` (zero is allowed). Throws AccountExists for a taken id,
 * unless the request carries a key whose earlier outcome is then replayed.
 */
export function createAccount(deps: IdempotencyDeps & { cache: AccountCache }): CreateAccount {
  return async ({ accountId, initialBalance, idempotency }) => {
    const account: Account = { id: accountId, balance: initialBalance, version: 0 }
    const result = await runIdempotently(deps, idempotency, async (tx) => {
      await tx.createAccount(account)
      return account
    })
    if (result.kind === 'done') await deps.cache.put([account])
    return result
  }
}
