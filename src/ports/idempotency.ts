/** The HTTP answer saved with an idempotency key, replayed byte for byte. */
export interface StoredResponse {
  status: number
  body: string
}

/** What a request claims: its key, the digest of the request (a replay must carry the same), and how long it is kept. */
export interface KeyClaim {
  key: string
  fingerprint: string
  expiresAt: Date
}

/** A key committed with the response of the request that claimed it. */
export interface IdempotencyRecord {
  key: string
  fingerprint: string
  response: StoredResponse
}

/** Maintenance of committed keys (they are written only through the unit of work). */
export interface IdempotencyRecords {
  /**
   * Deletes at most `limit` records that expired before `now`, without locking ranges that new
   * keys are inserted into. Returns how many it deleted.
   */
  deleteExpired(now: Date, limit: number): Promise<number>
}
