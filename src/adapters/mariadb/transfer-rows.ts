import { Money } from '../../domain/money.js'
import type { Transfer } from '../../domain/transfer.js'
import type { TransfersTable } from './tables.js'

export type TransferRow = Omit<TransfersTable, 'created_at'> & { created_at: Date }

export const TRANSFER_FIELDS = [
  'transfer_id',
  'source_account_id',
  'destination_account_id',
  'amount',
  'created_at',
  'created_by',
  'status',
  'expires_at',
  'pending_transfer_id',
  'source_balance_after',
  'destination_balance_after',
] as const satisfies readonly (keyof TransferRow)[]

export const TRANSFER_COLUMNS = TRANSFER_FIELDS.join(', ')

export function rowToTransfer(row: TransferRow): Transfer {
  const amount = Money.parse(row.amount)
  if (!amount) throw new Error(`Transfer ${row.transfer_id} holds an amount that is not valid`)
  return {
    id: row.transfer_id,
    sourceAccountId: Number(row.source_account_id),
    destinationAccountId: Number(row.destination_account_id),
    amount,
    createdAt: row.created_at,
    createdBy: row.created_by,
    status: row.status,
    expiresAt: row.expires_at,
    pendingTransferId: row.pending_transfer_id,
    sourceBalanceAfter: balanceOf(row, row.source_balance_after),
    destinationBalanceAfter: balanceOf(row, row.destination_balance_after),
  }
}

function balanceOf(row: TransferRow, text: string | null): Money | null {
  if (text === null) return null
  const money = Money.parse(text)
  if (!money) throw new Error(`Transfer ${row.transfer_id} holds a balance that is not valid`)
  return money
}

/** The values of a transfer for TRANSFER_COLUMNS, in that order. */
export function transferValues(transfer: Transfer): unknown[] {
  return [
    transfer.id,
    transfer.sourceAccountId,
    transfer.destinationAccountId,
    transfer.amount.toString(),
    transfer.createdAt,
    transfer.createdBy,
    transfer.status,
    transfer.expiresAt,
    transfer.pendingTransferId,
    transfer.sourceBalanceAfter?.toString() ?? null,
    transfer.destinationBalanceAfter?.toString() ?? null,
  ]
}
