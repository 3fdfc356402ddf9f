/** A token bucket: `burst` tokens at most, refilled at `perSecond`; each request takes one. */
export interface RatePolicy {
  readonly perSecond: number
  readonly burst: number
}

/** Whether a request may go ahead, and what its caller is told about its bucket. */
export interface RateDecision {
  readonly allowed: boolean
  /** Tokens the bucket holds at most. */
  readonly limit: number
  /** Tokens left after this request, as far as this instance knows. */
  readonly remaining: number
  /** Seconds until the bucket is full again. */
  readonly resetSeconds: number
  /** When refused: seconds until a token is there again (at least 1). */
  readonly retryAfterSeconds: number
}

/** Rate limits by bucket name (an API key, a client address). */
export interface TokenBuckets {
  /**
   * Takes a token from `bucket` under `policy`, synchronously when this instance can decide alone,
   * else with a promise. Never rejects: when the shared state cannot be reached, decides on this
   * instance's own and says so in the log.
   */
  take(bucket: string, policy: RatePolicy): RateDecision | Promise<RateDecision>
}

/** The decision for a bucket holding `tokens` (fractions included) after the request. */
export function decision(allowed: boolean, policy: RatePolicy, tokens: number): RateDecision {
  return {
    allowed,
    limit: policy.burst,
    remaining: Math.max(0, Math.floor(tokens)),
    resetSeconds: Math.ceil(Math.max(0, policy.burst - tokens) / policy.perSecond),
    retryAfterSeconds: allowed ? 0 : Math.max(1, Math.ceil((1 - tokens) / policy.perSecond)),
  }
}
