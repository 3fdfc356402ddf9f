import type { Transfer } from '../../domain/transfer.js'
import type { TransferWrites } from '../../ports/unit-of-work.js'
import type { MariadbTransaction } from './transaction.js'

export class MariadbTransferWrites implements TransferWrites {
  constructor(private readonly tx: MariadbTransaction) {}

  insert(transfers: readonly Transfer[]): void {
    if (transfers.length === 0) return
    this.tx.queue({
      sql:
        'INSERT INTO transfers (transfer_id, source_account_id, destination_account_id, amount, created_at, created_by) VALUES ' +
        transfers.map(() => '(?, ?, ?, ?, ?, ?)').join(', '),
      parameters: transfers.flatMap((transfer) => [
        transfer.id,
        transfer.sourceAccountId,
        transfer.destinationAccountId,
        transfer.amount.toString(),
        transfer.createdAt,
        transfer.createdBy,
      ]),
    })
  }
}
