import { type Meter, metrics } from '@opentelemetry/api'
import { BatchMetrics } from './batches.js'
import { CacheMetrics } from './cache.js'
import { EventMetrics } from './events.js'
import { HttpMetrics } from './http.js'
import { PoolMetrics } from './pool.js'
import { observeRuntime } from './runtime.js'
import { IdempotencyMetrics, TransferMetrics } from './transfers.js'

/**
 * Every instrument of the service, created once (in buildApplication) and handed to the adapters
 * that record into it: each part is a small class of recording methods, so adapters never touch
 * the OpenTelemetry API and a new instrument is one more method (or one more part) here.
 *
 * Without a started SDK (OTEL_SDK_DISABLED=true, in-process tests) the API's meter is a no-op and
 * so is every method.
 */
export interface ServiceMetrics {
  http: HttpMetrics
  pool: PoolMetrics
  cache: CacheMetrics
  transfers: TransferMetrics
  idempotency: IdempotencyMetrics
  batches: BatchMetrics
  events: EventMetrics
  /** Stops the runtime's sampling (the event-loop delay monitor). */
  close(): void
}

export function createMetrics(meter: Meter = metrics.getMeter('internal-transfers')): ServiceMetrics {
  const runtime = observeRuntime(meter)
  return {
    close: () => runtime.stop(),
    http: new HttpMetrics(meter),
    pool: new PoolMetrics(meter),
    cache: new CacheMetrics(meter),
    transfers: new TransferMetrics(meter),
    idempotency: new IdempotencyMetrics(meter),
    batches: new BatchMetrics(meter),
    events: new EventMetrics(meter),
  }
}
