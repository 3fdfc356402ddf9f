import type { Meter } from '@opentelemetry/api'
import { codeOf, ERRORS } from '../../../app/errors.js'
import { Money } from '../../../domain/money.js'
import { Tally } from './tally.js'

/**
 * Transfers by outcome and the money they moved. Outcomes: `applied` (committed now),
 * `reserved` (a pending transfer committed now: nothing moved until it is posted),
 * `replayed` (an Idempotency-Key answered with the saved response; nothing moved again),
 * `refused` with the refusal's code (INSUFFICIENT_FUNDS, ACCOUNT_NOT_FOUND…), `unknown` (the
 * COMMIT's answer was lost: it may have moved money) and `failed` with the error's code.
 */
export class TransferMetrics {
  private readonly outcomes
  /** Kept exact: a sum of decimal amounts in a float would drift from the first transfer on. */
  private moved = Money.ZERO

  constructor(meter: Meter) {
    this.outcomes = new Tally(meter, 'transfers', { description: 'Transfer requests by outcome (and code, for refusals and failures)', unit: '{transfer}' })
    meter
      .createObservableCounter('transfers.amount', {
        description: 'Money moved by applied transfers, in account units. Summed exactly; shown to float64 precision (15–17 significant digits)',
      })
      // Prometheus and OTLP carry a float64; the rounding happens once here, on the exact total,
      // and never accumulates. The exact figure is the ledger's to tell.
      .addCallback((result) => result.observe(Number(this.moved.toString())))
  }

  applied(amount: Money): void {
    this.moved = this.moved.plus(amount)
    this.outcomes.add(APPLIED)
  }

  reserved(): void {
    this.outcomes.add(RESERVED)
  }

  replayed(): void {
    this.outcomes.add(REPLAYED)
  }

  /** A transfer that threw: refused (a client fault), unknown (outcome lost) or failed. */
  threw(error: unknown): void {
    const code = codeOf(error) ?? 'INTERNAL_ERROR'
    if (code === 'COMMIT_OUTCOME_UNKNOWN') this.outcomes.add(UNKNOWN)
    else this.outcomes.add({ outcome: ERRORS[code].fault === 'client' ? 'refused' : 'failed', code })
  }
}

const APPLIED = { outcome: 'applied' }
const RESERVED = { outcome: 'reserved' }
const REPLAYED = { outcome: 'replayed' }
const UNKNOWN = { outcome: 'unknown' }

/**
 * Requests that carried an Idempotency-Key, by operation and outcome: `performed` (the key was
 * new), `replayed`, `in_use` (409, another request holds it) or `reused` (422, the key belongs to
 * a different request); and keys removed by the sweep.
 */
export class IdempotencyMetrics {
  private readonly requests
  private readonly swept

  constructor(meter: Meter) {
    this.requests = new Tally(meter, 'idempotency.requests', { description: 'Requests with an Idempotency-Key by operation and outcome', unit: '{request}' })
    this.swept = meter.createCounter('idempotency.keys.swept', { description: 'Expired idempotency keys deleted', unit: '{key}' })
    // Exported from the start at 0: a sweep that never finds expired keys is still visible.
    this.swept.add(0)
  }

  /** Counts a keyed request: `result` for one that returned, `error` for one that threw. */
  finished(operation: string, outcome: { replayed: boolean } | { error: unknown }): void {
    if ('replayed' in outcome) return this.requests.add({ operation, outcome: outcome.replayed ? 'replayed' : 'performed' })
    const code = codeOf(outcome.error)
    if (code === 'IDEMPOTENCY_KEY_IN_USE') this.requests.add({ operation, outcome: 'in_use' })
    else if (code === 'IDEMPOTENCY_KEY_REUSED') this.requests.add({ operation, outcome: 'reused' })
    else this.requests.add({ operation, outcome: 'performed' })
  }

  keysSwept(count: number): void {
    if (count > 0) this.swept.add(count)
  }
}
