import { setTimeout as sleep } from 'node:timers/promises'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { serviceWithOutsideLocks } from './support/service.js'

// The target of the hardening issue, at the default pool size: while two accounts are locked from
// outside, at least 99 % of the requests that do not touch them succeed, each within 1 s.
const ACCOUNTS = 40
const LOCKED = [1, 2]
const LOCK_MS = 6000

let locks: Awaited<ReturnType<typeof serviceWithOutsideLocks>> | undefined

beforeAll(async () => {
  locks = await serviceWithOutsideLocks('isolation', Array.from({ length: ACCOUNTS }, (_, i) => i + 1), '1000')
})
afterAll(() => locks?.stop())

interface Outcome {
  touchesLocked: boolean
  kind: 'transfer' | 'read'
  status: number
  ms: number
}

describe('two accounts locked from outside', () => {
  it('leaves the requests that do not touch them (transfers, batched, and reads) succeeding within 1 s, and the ledger exact', async () => {
    const { api, outside } = locks!
    const outcomes: Outcome[] = []
    const moved = new Map<number, number>() // account → net change, from the 201s
    const someTransfer = (await api.transfer(3, 4, '1')).body.transfer_id as string
    moved.set(3, -1).set(4, 1)
    const record = (from: number, to: number) => moved.set(from, (moved.get(from) ?? 0) - 1).set(to, (moved.get(to) ?? 0) + 1)
    await outside.transaction().execute(async (holder) => {
      await sql`SELECT * FROM accounts WHERE account_id IN (1, 2) FOR UPDATE`.execute(holder)
      const until = performance.now() + LOCK_MS - 500
      // Four clients keep sending transfers that need a locked account (each waits up to its
      // deadline); twelve others send transfers between the other 38 accounts, and reads.
      const touching = Array.from({ length: 4 }, async (_, w) => {
        for (let i = 0; performance.now() < until; i++) {
          const [from, to] = [LOCKED[(w + i) % 2]!, 3 + ((w * 11 + i * 7) % (ACCOUNTS - 2))]
          const started = performance.now()
          const reply = await api.transfer(from, to, '1')
          outcomes.push({ touchesLocked: true, kind: 'transfer', status: reply.status, ms: performance.now() - started })
          if (reply.status === 201) record(from, to)
        }
      })
      const other = Array.from({ length: 12 }, async (_, w) => {
        for (let i = 0; performance.now() < until; i++) {
          const started = performance.now()
          if (i % 4 === 3) {
            const reply = i % 8 === 3 ? await api.get(`/v1/transfers/${someTransfer}`) : await api.get(`/v1/accounts/${3 + ((w + i) % 38)}`)
            outcomes.push({ touchesLocked: false, kind: 'read', status: reply.status, ms: performance.now() - started })
            continue
          }
          const from = 3 + ((w * 13 + i * 5) % (ACCOUNTS - 2))
          const to = 3 + ((w * 13 + i * 5 + 1 + (i % 7)) % (ACCOUNTS - 2))
          const reply = await api.transfer(from, to, '1')
          outcomes.push({ touchesLocked: false, kind: 'transfer', status: reply.status, ms: performance.now() - started })
          if (reply.status === 201) record(from, to)
        }
      })
      await Promise.all([...touching, ...other])
    })
    const others = outcomes.filter((outcome) => !outcome.touchesLocked)
    const fine = others.filter((outcome) => outcome.status < 300 && outcome.ms < 1000)
    expect(others.length).toBeGreaterThan(200)
    expect(others.filter((outcome) => outcome.kind === 'transfer').length).toBeGreaterThan(100)
    expect(fine.length / others.length).toBeGreaterThanOrEqual(0.99)
    // Those that needed a locked account were answered 503 (or went through late), never hung.
    for (const outcome of outcomes.filter((o) => o.touchesLocked)) expect([201, 503]).toContain(outcome.status)

    await sleep(100)
    for (let id = 1; id <= ACCOUNTS; id++) expect(await api.balance(id)).toBe(String(1000 + (moved.get(id) ?? 0)))
  })
})
