import type { Meter } from '@opentelemetry/api'
import { SECONDS } from './buckets.js'

/** What a connection pool reports when it is observed. */
export interface PoolState {
  /** Connections handed out and not yet given back. */
  used: number
  /** Open connections waiting in the pool. */
  idle: number
  /** Callers waiting for a connection. */
  pending: number
  /** The most connections the pool opens. */
  max: number
}

const POOL = 'db.client.connection.pool.name'
const STATE = 'db.client.connection.state'

/** What one pool records: the wait of each acquisition, and the waits that timed out. */
export interface PoolRecorder {
  acquired(seconds: number): void
  timedOut(): void
  /** Reports the pool's counts from now on, read only when collected; returns the function that stops it. */
  observe(read: () => PoolState): () => void
}

/** The semantic conventions' database connection pool metrics (db.client.connection.*). */
export class PoolMetrics {
  private readonly waitTime
  private readonly timeouts
  private readonly pools = new Map<string, () => PoolState>()

  constructor(meter: Meter) {
    this.waitTime = meter.createHistogram('db.client.connection.wait_time', {
      description: 'Time it took to obtain an open connection from the pool',
      unit: 's',
      advice: { explicitBucketBoundaries: SECONDS },
    })
    this.timeouts = meter.createCounter('db.client.connection.timeouts', {
      description: 'Connection requests that timed out waiting for a connection',
      unit: '{timeout}',
    })
    const count = meter.createObservableUpDownCounter('db.client.connection.count', {
      description: 'Connections by state: used (handed out) or idle',
      unit: '{connection}',
    })
    const pending = meter.createObservableUpDownCounter('db.client.connection.pending_requests', {
      description: 'Requests waiting for a connection',
      unit: '{request}',
    })
    const max = meter.createObservableUpDownCounter('db.client.connection.max', {
      description: 'The most connections the pool opens',
      unit: '{connection}',
    })
    meter.addBatchObservableCallback(
      (result) => {
        for (const [name, read] of this.pools) {
          const state = read()
          result.observe(count, state.used, { [POOL]: name, [STATE]: 'used' })
          result.observe(count, state.idle, { [POOL]: name, [STATE]: 'idle' })
          result.observe(pending, state.pending, { [POOL]: name })
          result.observe(max, state.max, { [POOL]: name })
        }
      },
      [count, pending, max],
    )
  }

  /** The recorder of the pool called `name` (the database it serves). */
  pool(name: string): PoolRecorder {
    const attributes = { [POOL]: name }
    // Exported from the start at 0, so rate() and the dashboard see the series before the first timeout.
    this.timeouts.add(0, attributes)
    return {
      acquired: (seconds) => this.waitTime.record(seconds, attributes),
      timedOut: () => this.timeouts.add(1, attributes),
      observe: (read) => {
        this.pools.set(name, read)
        return () => this.pools.delete(name)
      },
    }
  }
}
