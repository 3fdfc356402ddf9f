import type { Transfer } from '../../domain/transfer.js'
import type { TransferWrites } from '../../ports/unit-of-work.js'
import { placeholders } from './statements.js'
import type { MariadbTransaction } from './transaction.js'

export class MariadbTransferWrites implements TransferWrites {
  constructor(private readonly tx: MariadbTransaction) {}

  insert(transfers: readonly Transfer[]): void {
    if (transfers.length === 0) return
    const ids = transfers.map((transfer) => transfer.id)
    // Transfer ids are made by this process and written once: present after COMMIT means committed.
    const present = { sql: `(SELECT COUNT(*) FROM transfers WHERE transfer_id IN (${placeholders(ids.length)}))`, parameters: ids }
    this.tx.queue({
      statement: {
        sql:
          'INSERT INTO transfers (transfer_id, source_account_id, destination_account_id, amount, created_at) VALUES ' +
          transfers.map(() => '(?, ?, ?, ?, ?)').join(', '),
        parameters: transfers.flatMap((transfer) => [
          transfer.id,
          transfer.sourceAccountId,
          transfer.destinationAccountId,
          transfer.amount.toString(),
          transfer.createdAt,
        ]),
      },
      check: { sql: `${present.sql} = ?`, parameters: [...present.parameters, ids.length] },
      witness: { count: present, expected: ids.length },
    })
  }
}
