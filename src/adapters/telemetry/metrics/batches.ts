import type { Meter } from '@opentelemetry/api'
import type { BatchReport } from '../../../app/ledger.js'
import { SECONDS } from './buckets.js'
import { Tally } from './tally.js'

const CAUSES = ['deadlock', 'lock_wait', 'aborted', 'isolated', 'set_aside'] as const

/** Powers of two up to the largest batch BATCH_MAX_SIZE allows. */
const SIZES = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1000]

/**
 * The write path's batches (group commit): how many writes each carried, how long it took from
 * leaving the queue to its last answer, and what its extra transactions were for: `deadlock`,
 * `lock_wait` and `aborted` (lock conflicts that ran it again), `isolated` (requests run alone
 * after a failure none of those explains) and `set_aside` (requests left for a later transaction
 * because an account they needed stayed locked).
 */
export class BatchMetrics {
  private readonly size
  private readonly duration
  private readonly retries

  constructor(meter: Meter) {
    this.size = meter.createHistogram('ledger.batch.size', {
      description: 'Writes (transfers, account openings) per batch, each batch one transaction',
      unit: '{write}',
      advice: { explicitBucketBoundaries: SIZES },
    })
    this.duration = meter.createHistogram('ledger.batch.duration', {
      description: 'Time from a batch leaving the queue to its last answer, retries included',
      unit: 's',
      advice: { explicitBucketBoundaries: SECONDS },
    })
    this.retries = new Tally(meter, 'ledger.batch.retries', { description: 'Extra transactions and requests run alone, by cause', unit: '{retry}' })
    // Exported from the start at 0, so a cause that never happened still shows as such.
    for (const cause of CAUSES) this.retries.add({ cause }, 0)
  }

  readonly record = (report: BatchReport): void => {
    this.size.record(report.size)
    this.duration.record(report.durationMs / 1000)
    for (const [cause, count] of [
      ['deadlock', report.conflicts.deadlock],
      ['lock_wait', report.conflicts['lock-wait']],
      ['aborted', report.conflicts.aborted],
      ['isolated', report.isolated],
      ['set_aside', report.setAside],
    ] as const) {
      if (count > 0) this.retries.add({ cause }, count)
    }
  }
}
