import type { Account, AccountId } from '../domain/account.js'
import type { AppliedOutcomeOf, TransferCommand } from '../domain/batch.js'
import type { Money } from '../domain/money.js'
import { checkTransferRequest, type Transfer } from '../domain/transfer.js'
import type { IdGenerator } from '../ports/id-generator.js'
import type { Idempotency, IdempotentResult } from './idempotency.js'
import type { Ledger } from './ledger.js'

export interface TransferFundsResult {
  transfer: Transfer
  /** Source and destination as this transfer left them. */
  accounts: readonly [Account, Account]
}

export interface TransferFundsInput {
  sourceAccountId: AccountId
  destinationAccountId: AccountId
  amount: Money
  /** The id of the API key that asks for it, recorded with the transfer; undefined with authentication off. */
  createdBy?: string | undefined
  idempotency?: Idempotency<AppliedOutcomeOf<TransferCommand>> | undefined
}

export type TransferFunds = (input: TransferFundsInput) => Promise<IdempotentResult<TransferFundsResult>>

/**
 * Moves money between two accounts atomically, through the write path (the ledger): both balances
 * and the transfer record commit together or not at all. Throws SameAccount or InvalidAmount at
 * once, and AccountNotFound (naming the missing account, source first), InsufficientFunds or
 * BalanceLimitExceeded with nothing changed. With a key, a retry of a finished request replays its
 * saved answer and moves nothing.
 */
export function transferFunds(deps: { ledger: Ledger; ids: IdGenerator }): TransferFunds {
  return async ({ sourceAccountId, destinationAccountId, amount, createdBy, idempotency }) => {
    const invalid = checkTransferRequest(sourceAccountId, destinationAccountId, amount)
    if (invalid) throw invalid
    const command: TransferCommand = {
      kind: 'transfer',
      transferId: deps.ids.next(),
      sourceAccountId,
      destinationAccountId,
      amount,
      ...(createdBy === undefined ? {} : { createdBy }),
    }
    const settled = await deps.ledger(command, idempotency)
    if (settled.kind === 'replayed') return settled
    const { transfer, source, destination } = settled.outcome
    return { kind: 'done', value: { transfer, accounts: [source, destination] }, ...(settled.response ? { response: settled.response } : {}) }
  }
}
