import { describe, expect, it } from 'vitest'
import { RecentConflicts } from '../../src/app/recent-conflicts.js'

describe('RecentConflicts', () => {
  it('remembers an account for the window after its loss, and forgets it then', () => {
    const conflicts = new RecentConflicts(250)
    conflicts.lost([1, 2], 1_000)
    expect(conflicts.involves([1, 3], 1_000)).toBe(true)
    expect(conflicts.involves([3, 2], 1_249)).toBe(true)
    expect(conflicts.involves([1], 1_250)).toBe(false)
    expect(conflicts.involves([3, 4], 1_000)).toBe(false)
  })

  it('does not count a loss stamped after now (a clock set back)', () => {
    const conflicts = new RecentConflicts(250)
    conflicts.lost([1], 3_600_000)
    expect(conflicts.involves([1], 1_000)).toBe(false)
  })

  it('starts a new window on a new loss', () => {
    const conflicts = new RecentConflicts(250)
    conflicts.lost([1], 1_000)
    conflicts.lost([1], 1_200)
    expect(conflicts.involves([1], 1_400)).toBe(true)
    expect(conflicts.involves([1], 1_450)).toBe(false)
  })

  it('keeps at most `limit` ids, dropping expired ones first and then the oldest losses', () => {
    const conflicts = new RecentConflicts(250, 3)
    conflicts.lost([1], 1_000)
    conflicts.lost([2, 3], 1_300)
    // 1 has expired: it goes, and the three newer losses all stay.
    conflicts.lost([4], 1_300)
    expect([2, 3, 4].map((id) => conflicts.involves([id], 1_300))).toEqual([true, true, true])
    // None has expired: the oldest loss (2) makes room.
    conflicts.lost([5], 1_310)
    expect([2, 3, 4, 5].map((id) => conflicts.involves([id], 1_310))).toEqual([false, true, true, true])
    // A repeated loss counts as the newest.
    conflicts.lost([3], 1_320)
    conflicts.lost([6], 1_320)
    expect([3, 4, 5, 6].map((id) => conflicts.involves([id], 1_320))).toEqual([true, false, true, true])
  })
})
