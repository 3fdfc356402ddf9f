import { decision, type RateDecision, type RatePolicy, type TokenBuckets } from '../../ports/token-buckets.js'

interface Bucket {
  tokens: number
  /** performance.now() of the last refill. */
  at: number
  policy: RatePolicy
}

/**
 * Token buckets in this process's memory: the limits of one instance, used when no Redis is
 * configured or while it does not answer. Buckets that have refilled completely are forgotten
 * once there are more than `maxBuckets`.
 */
export class LocalTokenBuckets implements TokenBuckets {
  private readonly buckets = new Map<string, Bucket>()

  constructor(
    private readonly now: () => number = () => performance.now(),
    private readonly maxBuckets = 100_000,
  ) {}

  take(name: string, policy: RatePolicy): RateDecision {
    const now = this.now()
    let bucket = this.buckets.get(name)
    if (!bucket) {
      if (this.buckets.size >= this.maxBuckets) this.forgetFull(now)
      bucket = { tokens: policy.burst, at: now, policy }
      this.buckets.set(name, bucket)
    }
    bucket.tokens = Math.min(policy.burst, bucket.tokens + ((now - bucket.at) * policy.perSecond) / 1000)
    bucket.at = now
    const allowed = bucket.tokens >= 1
    if (allowed) bucket.tokens -= 1
    return decision(allowed, policy, bucket.tokens)
  }

  private forgetFull(now: number): void {
    for (const [name, { tokens, at, policy }] of this.buckets) {
      if (tokens + ((now - at) * policy.perSecond) / 1000 >= policy.burst) this.buckets.delete(name)
    }
    // Every bucket busy: forget the oldest rather than grow without bound.
    if (this.buckets.size >= this.maxBuckets) this.buckets.delete(this.buckets.keys().next().value as string)
  }
}
