import type { Attributes } from '@opentelemetry/api'
import type { CreateAccount } from '../../app/create-account.js'
import type { GetAccount } from '../../app/get-account.js'
import type { GetBalanceAt } from '../../app/get-balance-at.js'
import type { GetTransfer } from '../../app/get-transfer.js'
import type { IdempotentResult } from '../../app/idempotency.js'
import type { ExpirePendingTransfers } from '../../app/expire-pending-transfers.js'
import type { ResolvePendingTransfer } from '../../app/resolve-pending-transfer.js'
import type { TransferBatch } from '../../app/transfer-batch.js'
import type { ListAccountTransfers } from '../../app/list-account-transfers.js'
import type { SweepIdempotencyKeys } from '../../app/sweep-idempotency-keys.js'
import type { TransferFunds } from '../../app/transfer-funds.js'
import type { AccountId } from '../../domain/account.js'
import { traced } from './traced.js'

const account = (accountId: AccountId): Attributes => ({ 'app.account.id': accountId })
/** True when a key's earlier outcome answered the request instead of running it again. */
const replayed = (result: IdempotentResult<unknown>): Attributes => ({ 'app.idempotency.replayed': result.kind === 'replayed' })

/**
 * Each use case in a span of its own, named after it, carrying the ids a trace search would use.
 * Applied where the use cases are wired, so app/ and domain/ know nothing of tracing.
 */
export const inSpan = {
  createAccount: (fn: CreateAccount): CreateAccount =>
    traced('create-account', fn, { input: ({ accountId }) => account(accountId), result: replayed }),

  getAccount: (fn: GetAccount): GetAccount => traced('get-account', fn, { input: account }),

  getBalanceAt: (fn: GetBalanceAt): GetBalanceAt => traced('get-balance-at', fn, { input: account }),

  transferFunds: (fn: TransferFunds): TransferFunds =>
    traced('transfer-funds', fn, {
      input: (transfer) => ({
        'app.source_account.id': transfer.sourceAccountId,
        'app.destination_account.id': transfer.destinationAccountId,
      }),
      result: (result) => ({
        ...replayed(result),
        ...(result.kind === 'done' ? { 'app.transfer.id': result.value.transfer.id } : {}),
      }),
    }),

  resolvePendingTransfer: (fn: ResolvePendingTransfer): ResolvePendingTransfer =>
    traced('resolve-pending-transfer', fn, {
      input: (input) => ({ 'app.pending_transfer.id': input.pendingTransferId, 'app.pending_transfer.action': input.action }),
      result: (result) => ({
        ...replayed(result),
        ...(result.kind === 'done' ? { 'app.transfer.id': result.value.transfer.id } : {}),
      }),
    }),

  transferBatch: (fn: TransferBatch): TransferBatch =>
    traced('transfer-batch', fn, {
      input: (input) => ({ 'app.batch.items': input.items.length, 'app.batch.atomic': input.atomic }),
      result: replayed,
    }),

  expirePendingTransfers: (fn: ExpirePendingTransfers): ExpirePendingTransfers =>
    traced('expire-pending-transfers', fn, { result: (expired) => ({ 'app.pending_transfer.expired': expired }) }),

  getTransfer: (fn: GetTransfer): GetTransfer => traced('get-transfer', fn, { input: (transferId) => ({ 'app.transfer.id': transferId }) }),

  listAccountTransfers: (fn: ListAccountTransfers): ListAccountTransfers => traced('list-account-transfers', fn, { input: account }),

  sweepIdempotencyKeys: (fn: SweepIdempotencyKeys): SweepIdempotencyKeys =>
    traced('sweep-idempotency-keys', fn, { result: (deleted) => ({ 'app.idempotency.deleted_keys': deleted }) }),
}
