import { DomainError } from '../domain/errors.js'
import { IdempotencyKeyReused } from './errors.js'
import type { AccountStore, AccountTransaction } from '../ports/account-store.js'
import type { Clock } from '../ports/clock.js'
import { IdempotencyKeyTaken } from '../ports/errors.js'
import type { IdempotencyRecords, StoredResponse } from '../ports/idempotency.js'

/** What a request that may be retried brings along: its key, and how each outcome is answered. */
export interface Idempotency<T> {
  key: string
  fingerprint: string
  /** The response to a success, saved with the key. */
  respond(value: T): StoredResponse
  /**
   * The response to a refusal, saved with the key; undefined for refusals that must not be saved,
   * so that a corrected retry with the same key can still go through.
   */
  refuse(error: DomainError): StoredResponse | undefined
}

export type IdempotentResult<T> =
  | { kind: 'done'; value: T; response?: StoredResponse }
  | { kind: 'replayed'; response: StoredResponse }

export interface IdempotencyDeps {
  accounts: AccountStore
  records: IdempotencyRecords
  clock: Clock
  /** How long a key is kept at least. */
  retentionMs: number
}

/**
 * Runs `work` in one transaction. With a key, the key, the request's fingerprint and the response
 * commit in that same transaction, so they exist exactly when the work's effects do; a request
 * whose key committed before is answered with the saved response instead of running again.
 *
 * Contract for `work`: it throws domain errors only before it writes, because a refusal is
 * committed (with its saved response) rather than rolled back.
 */
export async function runIdempotently<T>(
  deps: IdempotencyDeps,
  idempotency: Idempotency<T> | undefined,
  work: (tx: AccountTransaction) => Promise<T>,
): Promise<IdempotentResult<T>> {
  if (!idempotency) return { kind: 'done', value: await deps.accounts.transaction(work) }
  const { key, fingerprint } = idempotency
  try {
    const outcome = await deps.accounts.transaction(async (tx) => {
      // First, so a concurrent request with the same key waits here instead of doing the work too.
      await tx.claimIdempotencyKey({ key, fingerprint, expiresAt: new Date(deps.clock.now().getTime() + deps.retentionMs) })
      let result: { value: T } | { error: DomainError }
      try {
        result = { value: await work(tx) }
      } catch (error) {
        if (!(error instanceof DomainError)) throw error
        result = { error }
      }
      const response = 'value' in result ? idempotency.respond(result.value) : idempotency.refuse(result.error)
      // Not saved: roll back, releasing the key.
      if (!response) throw 'error' in result ? result.error : new Error('a success must have a response')
      await tx.saveIdempotentResponse(key, response)
      return { result, response }
    })
    if ('error' in outcome.result) throw outcome.result.error
    return { kind: 'done', value: outcome.result.value, response: outcome.response }
  } catch (error) {
    if (!(error instanceof IdempotencyKeyTaken)) throw error
    const record = await deps.records.find(key)
    // Expired and deleted between the claim and this read: the key is free again.
    if (!record) return runIdempotently(deps, idempotency, work)
    if (record.fingerprint !== fingerprint) {
      throw new IdempotencyKeyReused('This Idempotency-Key was already used for a different request')
    }
    return { kind: 'replayed', response: record.response }
  }
}
