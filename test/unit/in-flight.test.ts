import { describe, expect, it } from 'vitest'
import { InFlight } from '../../src/adapters/system/in-flight.js'

describe('InFlight', () => {
  it('resolves drained() only after every tracked call settles, failures included', async () => {
    const inFlight = new InFlight()
    const releases: (() => void)[] = []
    const slow = inFlight.track(
      (fail: boolean) =>
        new Promise<string>((resolve, reject) => releases.push(() => (fail ? reject(new Error('x')) : resolve('ok')))),
    )
    const calls = [slow(false), slow(true).catch(() => 'failed')]
    let drained = false
    const waiting = inFlight.drained().then(() => (drained = true))

    releases[0]?.()
    await calls[0]
    await Promise.resolve()
    expect(drained).toBe(false)

    releases[1]?.()
    await waiting
    expect(await Promise.all(calls)).toEqual(['ok', 'failed'])
    expect(drained).toBe(true)
  })

  it('is drained at once when nothing runs', async () => {
    await expect(new InFlight().drained()).resolves.toBeUndefined()
  })
})
