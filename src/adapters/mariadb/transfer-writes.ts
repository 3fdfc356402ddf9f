import type { Transfer, TransferStatus } from '../../domain/transfer.js'
import type { TransferWrites } from '../../ports/unit-of-work.js'
import { lockConflictOf } from './driver-errors.js'
import { placeholders } from './statements.js'
import type { MariadbTransaction } from './transaction.js'
import { rowToTransfer, TRANSFER_COLUMNS, TRANSFER_FIELDS, type TransferRow, transferValues } from './transfer-rows.js'

export class MariadbTransferWrites implements TransferWrites {
  constructor(private readonly tx: MariadbTransaction) {}

  async lock(ids: readonly string[]): Promise<Map<string, Transfer>> {
    const sorted = [...new Set(ids)].sort()
    if (sorted.length === 0) return new Map()
    try {
      const [rows = []] = await this.tx.read<TransferRow>([
        {
          sql: `SELECT ${TRANSFER_COLUMNS} FROM transfers FORCE INDEX (PRIMARY) WHERE transfer_id IN (${placeholders(sorted.length)}) ORDER BY transfer_id FOR UPDATE`,
          parameters: sorted,
        },
      ])
      return new Map(rows.map((row) => [row.transfer_id, rowToTransfer(row)]))
    } catch (error) {
      throw lockConflictOf(error, 'account') ?? error
    }
  }

  insert(transfers: readonly Transfer[]): void {
    if (transfers.length === 0) return
    this.tx.queue({
      sql: `INSERT INTO transfers (${TRANSFER_COLUMNS}) VALUES ${transfers.map(() => `(${placeholders(TRANSFER_FIELDS.length)})`).join(', ')}`,
      parameters: transfers.flatMap(transferValues),
    })
  }

  resolve(transfers: readonly Transfer[]): void {
    const byStatus = new Map<TransferStatus, string[]>()
    for (const transfer of transfers) byStatus.set(transfer.status, [...(byStatus.get(transfer.status) ?? []), transfer.id])
    for (const [status, ids] of byStatus) {
      this.tx.queue({ sql: `UPDATE transfers SET status = ? WHERE transfer_id IN (${placeholders(ids.length)})`, parameters: [status, ...ids] })
    }
  }
}
