import { describe, expect, it } from 'vitest'
import { UuidV7Generator } from '../../src/adapters/system/uuid-v7.js'

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

describe('UuidV7Generator', () => {
  it('writes RFC 9562 version 7 ids carrying the millisecond timestamp', () => {
    const ms = Date.UTC(2026, 10, 22, 10, 0, 0, 123)
    const id = new UuidV7Generator(() => ms).next()
    expect(id).toMatch(UUID_V7)
    expect(Number.parseInt(id.replace(/-/g, '').slice(0, 12), 16)).toBe(ms)
  })

  it('sorts in creation order within one millisecond and across a clock step back', () => {
    let ms = 1_800_000_000_000
    const times = [ms, ms, ms, ms - 5, ms + 1]
    const generator = new UuidV7Generator(() => times.shift() ?? ++ms)
    const ids = Array.from({ length: 5000 }, () => generator.next())
    expect([...ids].sort()).toEqual(ids)
    expect(new Set(ids).size).toBe(ids.length)
    // The random tails differ too, across the refills of the random pool.
    expect(new Set(ids.map((id) => id.slice(-12))).size).toBe(ids.length)
    for (const id of ids) expect(id).toMatch(UUID_V7)
  })
})
