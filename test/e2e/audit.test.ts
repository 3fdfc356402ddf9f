import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { Redis } from 'ioredis'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { client, freshDatabaseUrl, type Reply, type RunningService, startService } from './support/service.js'

// A bank-style concurrent workload of plain, pending, posted, voided and expiring transfers (and
// batches, one with a poison item), then `npm run audit` as the operator runs it (dist/main.js
// audit): zero violations. Then rows changed behind the service's back, and the audit says so.

const MAIN = new URL('../../dist/main.js', import.meta.url).pathname
const REDIS_URL = 'redis://127.0.0.1:6379'
const ACCOUNTS = Array.from({ length: 20 }, (_, i) => 500 + i)

let service: RunningService
let api: ReturnType<typeof client>

beforeAll(async () => {
  service = await startService({ databaseUrl: freshDatabaseUrl('audit'), redisUrl: REDIS_URL, env: { PENDING_SWEEP_INTERVAL_MS: '100' } })
  api = client(service)
  for (const id of ACCOUNTS) expect((await api.createAccount(id, '1000')).status).toBe(201)
})
afterAll(() => service?.stop())

async function audit(): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, [MAIN, 'audit', '--batch', '100'], { env: { ...process.env, DATABASE_URL: service.databaseUrl, REDIS_URL } })
  let output = ''
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()))
  const [code] = await once(child, 'exit')
  return { code: code as number | null, output }
}

/** A small deterministic PRNG, so a failing run can be reproduced. */
function random(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

describe('the self-audit', () => {
  it('finds zero violations after a concurrent workload of every kind of transfer', async () => {
    const next = random(14)
    const pick = <T>(list: readonly T[]) => list[Math.floor(next() * list.length)] as T
    const pair = () => {
      const from = pick(ACCOUNTS)
      let to = pick(ACCOUNTS)
      while (to === from) to = pick(ACCOUNTS)
      return { source_account_id: from, destination_account_id: to }
    }
    const amount = () => `${1 + Math.floor(next() * 120)}.${Math.floor(next() * 100)}`
    const statuses: number[] = []
    const note = (reply: Reply) => (statuses.push(reply.status), reply)

    const one = async (): Promise<void> => {
      const kind = Math.floor(next() * 6)
      if (kind === 0) return void note(await api.post('/v1/transfers', { ...pair(), amount: amount() }))
      if (kind === 5) {
        const atomic = next() < 0.5
        const items = Array.from({ length: 1 + Math.floor(next() * 8) }, () => ({ ...pair(), amount: amount(), ...(next() < 0.3 ? { pending: true, timeout_s: 600 } : {}) }))
        if (atomic && next() < 0.5) items.push({ ...pair(), amount: '99999' }) // the poison item
        return void note(await api.post('/v1/transfers/batch', { atomic, transfers: items }))
      }
      const expiring = kind === 4
      const held = note(await api.post('/v1/transfers', { ...pair(), amount: amount(), pending: true, timeout_s: expiring ? 1 : 600 }))
      if (held.status !== 201 || expiring) return
      const id = held.body.transfer_id
      const partial = next() < 0.5 ? { amount: String(Math.max(1, Math.floor(Number(held.body.amount) / 2))) } : {}
      if (kind === 3) note(await api.post(`/v1/transfers/${id}/void`, {}))
      else note(await api.post(`/v1/transfers/${id}/post`, partial))
      // A second resolution is refused, whatever the first was.
      expect(note(await api.post(`/v1/transfers/${id}/${next() < 0.5 ? 'post' : 'void'}`, {})).status).toBe(409)
    }
    for (let wave = 0; wave < 8; wave++) await Promise.all(Array.from({ length: 40 }, one))

    expect(statuses.filter((status) => status >= 500)).toEqual([])
    expect(statuses.filter((status) => ![200, 201, 409, 422].includes(status))).toEqual([])
    // Every pending transfer past its timeout (1 s for the expiring ones) is released by the sweep.
    await new Promise((resolve) => setTimeout(resolve, 1100))
    const overdue = async () =>
      Number((await sql<{ n: number }>`SELECT COUNT(*) AS n FROM transfers WHERE status = 'pending' AND expires_at <= NOW(3)`.execute(service.db)).rows[0]?.n)
    const deadline = Date.now() + 15_000
    while ((await overdue()) > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100))
    expect(await overdue()).toBe(0)
    const { rows } = await sql<{ expired: number; total: string }>`SELECT
      (SELECT COUNT(*) FROM transfers WHERE status = 'expired') AS expired, (SELECT SUM(balance) FROM accounts) AS total`.execute(service.db)
    expect(Number(rows[0]?.expired)).toBeGreaterThan(0)
    expect(Number(rows[0]?.total)).toBe(ACCOUNTS.length * 1000)

    const { code, output } = await audit()
    expect(output).toMatch(/^audited 20 accounts and \d+ transfer records from one consistent snapshot$/m)
    expect(output).toContain('ok   balance-is-sum-of-entries')
    expect(output).toContain('ok   pending-totals')
    expect(output).toContain('ok   cache: no cached account is older than the database')
    expect(output).toMatch(/^0 violations; took \d+\.\d\d s$/m)
    expect(code, output).toBe(0)
  })

  it('reports a balance changed behind its back, pending totals that do not match, a transfer to nowhere, and a lagging cache', async () => {
    const [changed, pending, stale] = ACCOUNTS as [number, number, number]
    await sql`UPDATE accounts SET balance = balance + 0.01 WHERE account_id = ${changed}`.execute(service.db)
    await sql`UPDATE accounts SET pending_debits = pending_debits + 1 WHERE account_id = ${pending}`.execute(service.db)
    await service.db.connection().execute(async (connection) => {
      await sql`SET SESSION foreign_key_checks = 0`.execute(connection)
      await sql`INSERT INTO transfers (transfer_id, source_account_id, destination_account_id, amount, created_at) VALUES ('00000000-0000-7000-8000-000000000001', ${changed}, 999999, 1, NOW(3))`.execute(connection)
      await sql`SET SESSION foreign_key_checks = 1`.execute(connection)
    })
    const redis = new Redis(REDIS_URL)
    const name = new URL(service.databaseUrl).pathname.slice(1)
    await redis.set(`${name}:account:${stale}`, '0:1000:0:0')
    redis.disconnect()

    const { code, output } = await audit()
    expect(code, output).toBe(1)
    expect(output).toContain(`violation balance-is-sum-of-entries: account ${changed}:`)
    expect(output).toContain(`[accounts ${changed}]`)
    expect(output).toContain(`violation pending-totals: account ${pending}: pending debits`)
    expect(output).toContain('violation transfers-reference-accounts: transfer 00000000-0000-7000-8000-000000000001 names account(s) 999999')
    expect(output).toContain('FAIL transfers-reference-accounts')
    expect(output).toMatch(new RegExp(`account ${stale}: cached version 0, database version \\d+`))
    expect(output).toMatch(/^[34] violations; took/m)
  })
})
