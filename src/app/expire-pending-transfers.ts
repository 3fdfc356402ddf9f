import type { ExpirePendingCommand } from '../domain/batch.js'
import { DomainError } from '../domain/errors.js'
import type { Clock } from '../ports/clock.js'
import type { TransferRecords } from '../ports/transfer-records.js'
import type { Ledger } from './ledger.js'

export type ExpirePendingTransfers = () => Promise<number>

/**
 * Releases pending transfers past their timeout, through the write path, in batches of at most
 * `batchSize`, at most `maxBatches` per run, so a backlog is worked off over several runs instead
 * of in one long burst. A transfer posted or voided since it was listed is refused by the domain
 * and left as it is. Returns how many it expired. (Posts and voids do not wait for this: past its
 * timeout a pending transfer is refused as expired whether or not it has been swept.)
 */
export function expirePendingTransfers(deps: { ledger: Ledger; transfers: TransferRecords; clock: Clock; batchSize: number; maxBatches: number }): ExpirePendingTransfers {
  return async () => {
    let expired = 0
    for (let batch = 0; batch < deps.maxBatches; batch++) {
      const due = await deps.transfers.listExpired(deps.clock.now(), deps.batchSize)
      const outcomes = await Promise.allSettled(
        due.map((pending) => {
          const command: ExpirePendingCommand = {
            kind: 'expire-pending',
            pendingTransferId: pending.id,
            sourceAccountId: pending.sourceAccountId,
            destinationAccountId: pending.destinationAccountId,
          }
          return deps.ledger(command)
        }),
      )
      for (const outcome of outcomes) {
        if (outcome.status === 'fulfilled') expired++
        // A refusal means someone resolved it first; anything else is the store failing: stop and let the next run retry.
        else if (!(outcome.reason instanceof DomainError)) throw outcome.reason
      }
      if (due.length < deps.batchSize) break
    }
    return expired
  }
}
