import type { AccountId } from '../domain/account.js'

/**
 * Accounts whose compare-and-set lost a short while ago. While one account is being hit by many
 * transfers at once (a hot pair), nearly every one-round-trip attempt on it loses to another
 * transfer and then takes the locking path anyway, after a wasted cache read and round trip. So
 * for `windowMs` after a loss, transfers that touch the account go straight to the locking path;
 * the first one after the window tries again, and a loss starts a new window.
 */
export class RecentConflicts {
  private readonly lostAt = new Map<AccountId, number>()

  constructor(
    private readonly windowMs: number,
    /** Ids remembered at most; expired ones are dropped first, then the oldest losses. */
    private readonly limit = 10_000,
  ) {}

  /** Records that a compare-and-set on these accounts lost at `now` (ms). */
  lost(ids: readonly AccountId[], now: number): void {
    for (const id of ids) {
      // Re-inserting keeps the map in loss order, which the pruning below relies on.
      this.lostAt.delete(id)
      this.lostAt.set(id, now)
    }
    if (this.lostAt.size > this.limit) this.prune(now)
  }

  /**
   * Whether any of these accounts lost within the window before `now` (ms). A loss stamped after
   * `now` (the clock was set back) does not count: at worst one quick attempt is wasted, where
   * counting it would keep the account off the quick path for as long as the clock went back.
   */
  involves(ids: readonly AccountId[], now: number): boolean {
    for (const id of ids) {
      const at = this.lostAt.get(id)
      if (at !== undefined && now >= at && now - at < this.windowMs) return true
    }
    return false
  }

  private prune(now: number): void {
    for (const [id, at] of this.lostAt) {
      if (this.lostAt.size <= this.limit && now - at < this.windowMs) return
      this.lostAt.delete(id)
    }
  }
}
