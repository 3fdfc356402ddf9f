import type { Account, AccountId } from '../domain/account.js'
import type { AppliedOutcomeOf, PendingTransferCommand, TransferCommand } from '../domain/batch.js'
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
  /** Reserve the amount instead of moving it, for `timeoutS` seconds (MIN_TIMEOUT_S to MAX_TIMEOUT_S) unless posted or voided first. */
  pending?: { timeoutS: number } | undefined
  idempotency?: Idempotency<AppliedOutcomeOf<TransferCommand | PendingTransferCommand>> | undefined
}

export type TransferFunds = (input: TransferFundsInput) => Promise<IdempotentResult<TransferFundsResult>>

/**
 * Moves money between two accounts atomically, through the write path (the ledger): both balances
 * and the transfer record commit together or not at all. Pending, it reserves the amount instead:
 * the source's available balance drops and the destination shows a pending credit, until a post,
 * a void or the timeout. Throws SameAccount or InvalidAmount at once, and AccountNotFound (naming
 * the missing account, source first), InsufficientFunds (judged on the available balance) or
 * BalanceLimitExceeded with nothing changed. With a key, a retry of a finished request replays its
 * saved answer and moves nothing.
 */
export function transferFunds(deps: { ledger: Ledger; ids: IdGenerator }): TransferFunds {
  return async ({ sourceAccountId, destinationAccountId, amount, createdBy, pending, idempotency }) => {
    const invalid = checkTransferRequest(sourceAccountId, destinationAccountId, amount)
    if (invalid) throw invalid
    const fields = {
      transferId: deps.ids.next(),
      sourceAccountId,
      destinationAccountId,
      amount,
      ...(createdBy === undefined ? {} : { createdBy }),
    }
    const command: TransferCommand | PendingTransferCommand = pending
      ? { kind: 'pending-transfer', ...fields, timeoutS: pending.timeoutS }
      : { kind: 'transfer', ...fields }
    const settled = await deps.ledger(command, idempotency)
    if (settled.kind === 'replayed') return settled
    const { transfer, source, destination } = settled.outcome
    return { kind: 'done', value: { transfer, accounts: [source, destination] }, ...(settled.response ? { response: settled.response } : {}) }
  }
}
