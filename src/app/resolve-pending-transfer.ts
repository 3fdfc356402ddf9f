import type { Account } from '../domain/account.js'
import type { AppliedOutcomeOf, PostPendingCommand, VoidPendingCommand } from '../domain/batch.js'
import { TransferNotFound } from '../domain/errors.js'
import type { Money } from '../domain/money.js'
import type { Transfer } from '../domain/transfer.js'
import type { IdGenerator } from '../ports/id-generator.js'
import type { TransferRecords } from '../ports/transfer-records.js'
import type { Idempotency, IdempotentResult } from './idempotency.js'
import type { Ledger } from './ledger.js'

export interface ResolvePendingTransferInput {
  /** `post` moves the reserved money (all of it, or `amount`, releasing the rest); `void` releases it. */
  action: 'post' | 'void'
  pendingTransferId: string
  /** Post only: at most the pending amount. */
  amount?: Money | undefined
  /** Throws when the caller may not resolve this transfer (the edge's access rules); called before anything changes. */
  authorize?: ((pending: Transfer) => void) | undefined
  createdBy?: string | undefined
  idempotency?: Idempotency<AppliedOutcomeOf<PostPendingCommand | VoidPendingCommand>> | undefined
}

export interface ResolvePendingTransferResult {
  /** The record of the post or void. */
  transfer: Transfer
  /** The pending transfer, as it is left (posted or voided). */
  pending: Transfer
  accounts: readonly [Account, Account]
}

export type ResolvePendingTransfer = (input: ResolvePendingTransferInput) => Promise<IdempotentResult<ResolvePendingTransferResult>>

/**
 * Posts or voids a pending transfer through the write path, recorded as a transfer of its own that
 * names the pending one. Its accounts are read first (they never change) so that the batch locks
 * them with its others; the pending transfer itself is judged under those locks. Throws
 * TransferNotFound, NotAPendingTransfer, TransferAlreadyPosted, TransferAlreadyVoided,
 * TransferExpired (past its timeout, swept or not) or PostAmountExceedsPending, with nothing changed.
 */
export function resolvePendingTransfer(deps: { ledger: Ledger; transfers: TransferRecords; ids: IdGenerator }): ResolvePendingTransfer {
  return async ({ action, pendingTransferId, amount, authorize, createdBy, idempotency }) => {
    const target = await deps.transfers.find(pendingTransferId)
    if (!target) throw new TransferNotFound(pendingTransferId)
    authorize?.(target)
    // The id is made after the read, just before the command is queued: ids then sort in the order
    // the batch applies its commands, which is the order an account's history and balances keep.
    const fields = {
      transferId: deps.ids.next(),
      pendingTransferId,
      sourceAccountId: target.sourceAccountId,
      destinationAccountId: target.destinationAccountId,
      ...(createdBy === undefined ? {} : { createdBy }),
    }
    const command: PostPendingCommand | VoidPendingCommand =
      action === 'post' ? { kind: 'post-pending', ...fields, ...(amount === undefined ? {} : { amount }) } : { kind: 'void-pending', ...fields }
    const settled = await deps.ledger(command, idempotency)
    if (settled.kind === 'replayed') return settled
    const { transfer, pending, source, destination } = settled.outcome
    const value = { transfer, pending, accounts: [source, destination] as const }
    return { kind: 'done', value, ...(settled.response ? { response: settled.response } : {}) }
  }
}
