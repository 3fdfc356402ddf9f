import type { Meter } from '@opentelemetry/api'
import { Tally } from './tally.js'

/** `hit`, `miss`, `error` (Redis failed or timed out), or `bypass` (the id awaits repair: read from MariaDB). */
export type CacheLookup = 'hit' | 'miss' | 'error' | 'bypass'

/** What the cache reports when it is observed. */
export interface CacheState {
  /** Whether the Redis connection is up and ready. */
  reachable: boolean
  /** Accounts whose last write failed and awaits a retry. */
  unsettled: number
}

/**
 * The account cache's own metrics. Lookups and writes are tallies (an increment per call); the
 * Redis connection's state and the unsettled count are read when collected.
 */
export class CacheMetrics {
  private readonly lookups
  private readonly writes
  private state: (() => CacheState) | undefined

  constructor(meter: Meter) {
    this.lookups = new Tally(meter, 'cache.lookups', { description: 'Account cache reads by result: hit, miss, error, bypass', unit: '{lookup}' })
    this.writes = new Tally(meter, 'cache.writes', {
      description: 'Accounts written to the cache by result: written, rejected (Redis held the same or a newer version), error',
      unit: '{account}',
    })
    const reachable = meter.createObservableGauge('cache.redis.reachable', { description: '1 while the Redis connection is ready, else 0', unit: '1' })
    const unsettled = meter.createObservableGauge('cache.unsettled', { description: 'Accounts whose cache write failed and awaits a retry', unit: '{account}' })
    meter.addBatchObservableCallback(
      (result) => {
        const state = this.state?.()
        if (!state) return
        result.observe(reachable, state.reachable ? 1 : 0)
        result.observe(unsettled, state.unsettled)
      },
      [reachable, unsettled],
    )
  }

  lookup(result: CacheLookup): void {
    this.lookups.add(RESULT[result])
  }

  /** One write of `accounts` accounts, `written` of which Redis took (the others held a version as new). */
  wrote(accounts: number, written: number): void {
    this.writes.add(RESULT.written, written)
    if (accounts > written) this.writes.add(RESULT.rejected, accounts - written)
  }

  writeFailed(accounts: number): void {
    this.writes.add(RESULT.error, accounts)
  }

  /** Reports the cache's state from now on; returns the function that stops it. */
  observe(read: () => CacheState): () => void {
    this.state = read
    return () => (this.state = undefined)
  }
}

/** One attribute set per result: nothing is allocated per call. */
const RESULT: Record<CacheLookup | 'written' | 'rejected', Readonly<Record<string, string>>> = {
  hit: { result: 'hit' },
  miss: { result: 'miss' },
  error: { result: 'error' },
  bypass: { result: 'bypass' },
  written: { result: 'written' },
  rejected: { result: 'rejected' },
}
