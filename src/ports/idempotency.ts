/** The HTTP answer saved with an idempotency key, replayed byte for byte. */
export interface StoredResponse {
  status: number
  body: string
}

/** A saved key with the request it belongs to and, once finished, its response. */
export interface IdempotencyRecord {
  key: string
  /** Digest of method, path and canonical body: a replay must carry the same request. */
  fingerprint: string
  response: StoredResponse
}

/** Keys whose requests completed. Written only inside an AccountTransaction (see there). */
export interface IdempotencyRecords {
  /** The committed record of `key`, or undefined. */
  find(key: string): Promise<IdempotencyRecord | undefined>

  /**
   * Deletes at most `limit` records that expired before `now`, without locking ranges that new
   * keys are inserted into. Returns how many it deleted.
   */
  deleteExpired(now: Date, limit: number): Promise<number>
}
