import type { Account, AccountId } from '../domain/account.js'
import { AccountNotFound } from '../domain/errors.js'
import type { Money } from '../domain/money.js'
import { applyTransfer, checkTransferRequest, type Transfer } from '../domain/transfer.js'
import type { AccountCache } from '../ports/account-cache.js'
import type { IdGenerator } from '../ports/id-generator.js'
import { type Idempotency, type IdempotencyDeps, type IdempotentResult, runIdempotently } from './idempotently.js'

export interface TransferFundsResult {
  transfer: Transfer
  /** Source and destination as committed, for callers that keep copies fresh. */
  accounts: readonly [Account, Account]
}

export interface TransferFundsInput {
  sourceAccountId: AccountId
  destinationAccountId: AccountId
  amount: Money
  idempotency?: Idempotency<TransferFundsResult> | undefined
}

export type TransferFunds = (input: TransferFundsInput) => Promise<IdempotentResult<TransferFundsResult>>

/**
 * Moves money between two accounts atomically: both balances and the transfer record commit
 * together or not at all. Throws SameAccount, InvalidAmount, AccountNotFound (naming the missing
 * account, source first), InsufficientFunds or BalanceLimitExceeded with nothing changed.
 * With a key, a retry of a finished request replays its saved response and moves nothing.
 * Once committed, both accounts are refreshed in the cache before the result is returned, so
 * the caller's next read sees at least this transfer.
 */
export function transferFunds(deps: IdempotencyDeps & { cache: AccountCache; ids: IdGenerator }): TransferFunds {
  return async ({ sourceAccountId, destinationAccountId, amount, idempotency }) => {
    checkTransferRequest(sourceAccountId, destinationAccountId, amount)
    const id = deps.ids.next()
    const result = await runIdempotently(deps, idempotency, async (tx) => {
      const locked = await tx.lockAccounts([sourceAccountId, destinationAccountId])
      const source = locked.get(sourceAccountId)
      if (!source) throw new AccountNotFound(sourceAccountId)
      const destination = locked.get(destinationAccountId)
      if (!destination) throw new AccountNotFound(destinationAccountId)

      const after = applyTransfer(source, destination, amount)
      // Taken under the locks, so history order follows commit order as closely as the clock allows.
      const transfer: Transfer = { id, sourceAccountId, destinationAccountId, amount, createdAt: deps.clock.now() }
      await tx.recordTransfer(transfer, [after.source, after.destination])
      return { transfer, accounts: [after.source, after.destination] as const }
    })
    // Only after the commit: a refresh before it could publish a balance that then rolls back.
    if (result.kind === 'done') await deps.cache.put(result.value.accounts)
    return result
  }
}
