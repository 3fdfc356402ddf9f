import type { DomainError } from '../domain/errors.js'
import type { StoredResponse } from '../ports/idempotency.js'

/**
 * What a request that may be retried brings along: its key, the digest of the request (method,
 * path and canonical body), and how its outcomes are answered. The write path saves the answer
 * with the key in the transaction of the effect when the outcome is kept: always when applied,
 * and for a refusal when the error registry keeps its code.
 */
export interface Idempotency<O> {
  key: string
  /** The key as the client sent it, when `key` adds a namespace to it (the caller's API key). */
  clientKey?: string
  fingerprint: string
  render(outcome: O | { kind: 'refused'; error: DomainError }): StoredResponse
}

/** A request's result: done now (with the saved answer, when keyed), or the saved answer of an earlier run. */
export type IdempotentResult<T> =
  | { kind: 'done'; value: T; response?: StoredResponse }
  | { kind: 'replayed'; response: StoredResponse }
