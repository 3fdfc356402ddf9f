import { TransferNotFound } from '../domain/errors.js'
import type { Transfer } from '../domain/transfer.js'
import type { TransferRecords } from '../ports/transfer-records.js'

export type GetTransfer = (transferId: string) => Promise<Transfer>

/** A committed transfer by id. Throws TransferNotFound. */
export function getTransfer(deps: { transfers: TransferRecords }): GetTransfer {
  return async (transferId) => {
    const transfer = await deps.transfers.find(transferId)
    if (!transfer) throw new TransferNotFound(transferId)
    return transfer
  }
}
