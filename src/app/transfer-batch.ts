import type { AccountId } from '../domain/account.js'
import type { AppliedOutcomeOf, BatchApplied, PendingTransferCommand, TransferBatchCommand, TransferCommand } from '../domain/batch.js'
import type { Money } from '../domain/money.js'
import type { IdGenerator } from '../ports/id-generator.js'
import type { Idempotency, IdempotentResult } from './idempotency.js'
import type { Ledger } from './ledger.js'

/** Most transfers one batch request carries. */
export const MAX_BATCH_ITEMS = 1000

export interface BatchItem {
  sourceAccountId: AccountId
  destinationAccountId: AccountId
  amount: Money
  /** Reserve instead of move, for `timeoutS` seconds. */
  pending?: { timeoutS: number } | undefined
}

export interface TransferBatchInput {
  items: readonly BatchItem[]
  atomic: boolean
  /** The id of the API key that asks for it, recorded with every transfer; undefined with authentication off. */
  createdBy?: string | undefined
  idempotency?: Idempotency<AppliedOutcomeOf<TransferBatchCommand>> | undefined
}

export type TransferBatch = (input: TransferBatchInput) => Promise<IdempotentResult<BatchApplied>>

/**
 * Applies up to MAX_BATCH_ITEMS transfers, plain or pending, as one command of the write path:
 * they travel together in one transaction (with whatever other requests share its batch), their
 * accounts locked by the batch's one statement in id order. Atomic: all or none, and the first
 * refusal throws BatchItemRefused (its index and rule) with nothing changed. Not atomic: one
 * outcome per item, in order, each applied or refused on its own. One Idempotency-Key covers the
 * whole request.
 */
export function transferBatch(deps: { ledger: Ledger; ids: IdGenerator }): TransferBatch {
  return async ({ items, atomic, createdBy, idempotency }) => {
    if (items.length === 0 || items.length > MAX_BATCH_ITEMS) throw new RangeError(`a batch carries 1 to ${MAX_BATCH_ITEMS} transfers`)
    const command: TransferBatchCommand = {
      kind: 'transfer-batch',
      atomic,
      items: items.map(({ sourceAccountId, destinationAccountId, amount, pending }): TransferCommand | PendingTransferCommand => {
        const fields = { transferId: deps.ids.next(), sourceAccountId, destinationAccountId, amount, ...(createdBy === undefined ? {} : { createdBy }) }
        return pending ? { kind: 'pending-transfer', ...fields, timeoutS: pending.timeoutS } : { kind: 'transfer', ...fields }
      }),
    }
    const settled = await deps.ledger(command, idempotency)
    if (settled.kind === 'replayed') return settled
    return { kind: 'done', value: settled.outcome, ...(settled.response ? { response: settled.response } : {}) }
  }
}
