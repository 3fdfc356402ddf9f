import { describe, expect, it } from 'vitest'
import { Batcher } from '../../src/app/batcher.js'

/** A batcher whose batches stay running until the test finishes them, in any order. */
function controlled(limits: { maxSize: number; maxInFlight: number; queueLimit?: number }) {
  const started: { items: number[]; finish: () => void }[] = []
  const batcher = new Batcher<number>(
    (items) => new Promise<void>((finish) => started.push({ items, finish })),
    { queueLimit: 100, ...limits },
  )
  const settle = async (index: number) => {
    started[index]?.finish()
    // Let the batcher see the batch end and start the next one.
    await new Promise((resolve) => setImmediate(resolve))
  }
  return { batcher, started, settle }
}

describe('Batcher', () => {
  it('sends an item that finds the path idle at once, alone', () => {
    const { batcher, started } = controlled({ maxSize: 8, maxInFlight: 1 })
    batcher.offer(1)
    // Synchronously: no timer, no tick.
    expect(started.map((batch) => batch.items)).toEqual([[1]])
  })

  it('gathers the items that arrive while a batch is in flight into the next batch', async () => {
    const { batcher, started, settle } = controlled({ maxSize: 8, maxInFlight: 1 })
    for (const item of [1, 2, 3, 4]) batcher.offer(item)
    expect(started.map((batch) => batch.items)).toEqual([[1]])
    await settle(0)
    expect(started.map((batch) => batch.items)).toEqual([[1], [2, 3, 4]])
  })

  it('caps a batch at maxSize, oldest first, and keeps the rest for the batch after', async () => {
    const { batcher, started, settle } = controlled({ maxSize: 3, maxInFlight: 1 })
    for (let item = 1; item <= 8; item++) batcher.offer(item)
    await settle(0)
    await settle(1)
    expect(started.map((batch) => batch.items)).toEqual([[1], [2, 3, 4], [5, 6, 7]])
    await settle(2)
    expect(started.at(-1)?.items).toEqual([8])
  })

  it('runs up to maxInFlight batches at once, and starts the next as soon as any of them ends', async () => {
    const { batcher, started, settle } = controlled({ maxSize: 10, maxInFlight: 2 })
    for (let item = 1; item <= 5; item++) batcher.offer(item)
    expect(started.map((batch) => batch.items)).toEqual([[1], [2]])
    await settle(1)
    expect(started.map((batch) => batch.items)).toEqual([[1], [2], [3, 4, 5]])
  })

  it('refuses items beyond the queue limit, without queueing them', async () => {
    const { batcher, started, settle } = controlled({ maxSize: 10, maxInFlight: 1, queueLimit: 2 })
    expect([1, 2, 3, 4].map((item) => batcher.offer(item))).toEqual([true, true, true, false])
    await settle(0)
    expect(started.map((batch) => batch.items)).toEqual([[1], [2, 3]])
  })

  it('goes on after a batch that rejects', async () => {
    const batches: number[][] = []
    const batcher = new Batcher<number>(
      async (items) => {
        batches.push(items)
        throw new Error('should not happen, but must not stall the batcher')
      },
      { maxSize: 10, maxInFlight: 1, queueLimit: 10 },
    )
    batcher.offer(1)
    batcher.offer(2)
    await new Promise((resolve) => setImmediate(resolve))
    expect(batches).toEqual([[1], [2]])
  })
})
