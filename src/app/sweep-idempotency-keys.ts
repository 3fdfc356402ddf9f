import type { Clock } from '../ports/clock.js'
import type { IdempotencyRecords } from '../ports/idempotency.js'

export type SweepIdempotencyKeys = () => Promise<number>

/**
 * Deletes expired idempotency keys in batches of `batchSize`, at most `maxBatches` per run, so a
 * long backlog is worked off over several runs instead of in one long burst. Returns how many it
 * deleted.
 */
export function sweepIdempotencyKeys(deps: {
  records: IdempotencyRecords
  clock: Clock
  batchSize: number
  maxBatches: number
}): SweepIdempotencyKeys {
  return async () => {
    const now = deps.clock.now()
    let deleted = 0
    for (let batch = 0; batch < deps.maxBatches; batch++) {
      const count = await deps.records.deleteExpired(now, deps.batchSize)
      deleted += count
      if (count < deps.batchSize) break
    }
    return deleted
  }
}
