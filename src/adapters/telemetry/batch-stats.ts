import type { BatchReport } from '../../app/ledger.js'

/** Upper bounds of the batch-size buckets reported (the last takes everything larger). */
const SIZE_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024]

export interface BatchSummary {
  batches: number
  requests: number
  transactions: number
  meanSize: number
  largest: number
  /** Batches by size bucket, e.g. `≤8` for sizes 5 to 8. */
  sizes: Record<string, number>
  retries: Record<'deadlock' | 'lock-wait' | 'aborted' | 'isolated' | 'setAside', number>
}

/**
 * Counts batches by size and what their retries were for, for the summary the service logs at
 * shutdown (and the load harness reads from that log line).
 */
export class BatchStats {
  private batches = 0
  private requests = 0
  private transactions = 0
  private largest = 0
  private readonly sizes = new Map<string, number>()
  private readonly retries = { deadlock: 0, 'lock-wait': 0, aborted: 0, isolated: 0, setAside: 0 }

  readonly record = (report: BatchReport): void => {
    this.batches++
    this.requests += report.size
    this.transactions += report.transactions
    this.largest = Math.max(this.largest, report.size)
    const bound = SIZE_BUCKETS.find((limit) => report.size <= limit)
    const bucket = bound === undefined ? `>${SIZE_BUCKETS.at(-1)}` : `≤${bound}`
    this.sizes.set(bucket, (this.sizes.get(bucket) ?? 0) + 1)
    for (const reason of ['deadlock', 'lock-wait', 'aborted'] as const) this.retries[reason] += report.conflicts[reason]
    this.retries.isolated += report.isolated
    this.retries.setAside += report.setAside
  }

  summary(): BatchSummary {
    const sizes = Object.fromEntries(
      [...SIZE_BUCKETS.map((limit) => `≤${limit}`), `>${SIZE_BUCKETS.at(-1)}`].flatMap((bucket) => {
        const count = this.sizes.get(bucket)
        return count ? [[bucket, count]] : []
      }),
    )
    const mean = this.batches === 0 ? 0 : Math.round((this.requests / this.batches) * 100) / 100
    return {
      batches: this.batches,
      requests: this.requests,
      transactions: this.transactions,
      meanSize: mean,
      largest: this.largest,
      sizes,
      retries: { ...this.retries },
    }
  }
}
