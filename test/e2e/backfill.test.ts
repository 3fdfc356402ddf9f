import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { up as backfill } from '../../src/adapters/mariadb/migrations/0008-backfill-balance-history.js'
import { client, freshDatabaseUrl, type RunningService, startService } from './support/service.js'

// Rows from before migration 0006 have no opening entries and no balances; 0008 writes them. The
// test makes a ledger through the API, takes away what 0006 added (as an old database lacks it),
// runs the backfill, and expects what the service would have written: one opening entry per
// account, a balance chain in every history, answers for ?at=, and a clean self-audit.

const MAIN = new URL('../../dist/main.js', import.meta.url).pathname
const OPENED = { 1: '1000', 2: '0', 3: '50.25' } as const

let service: RunningService
let api: ReturnType<typeof client>

beforeAll(async () => {
  service = await startService({ databaseUrl: freshDatabaseUrl('backfill') })
  api = client(service)
})
afterAll(() => service?.stop())

const move = (from: number, to: number, amount: string, extra: object = {}) =>
  api.post('/v1/transfers', { source_account_id: from, destination_account_id: to, amount, ...extra })

async function history(id: number): Promise<any[]> {
  const reply = await api.get(`/v1/accounts/${id}/transfers?limit=100`)
  expect(reply.status).toBe(200)
  return reply.body.items
}

describe('migration 0008: balance history for rows older than 0006', () => {
  it('writes an opening entry per account and the balance each record left, and the audit finds the ledger whole', async () => {
    for (const [id, balance] of Object.entries(OPENED)) expect((await api.createAccount(Number(id), balance)).status).toBe(201)
    expect((await move(1, 2, '10')).status).toBe(201)
    expect((await move(2, 3, '3')).status).toBe(201)
    expect((await move(1, 3, '5.5')).status).toBe(201)
    const held = await move(1, 2, '7', { pending: true })
    expect((await api.post(`/v1/transfers/${held.body.transfer_id}/post`, { amount: '4' })).status).toBe(201)
    const released = await move(3, 1, '2', { pending: true })
    expect((await api.post(`/v1/transfers/${released.body.transfer_id}/void`, {})).status).toBe(201)
    const expected = { 1: await api.balance(1), 2: await api.balance(2), 3: await api.balance(3) }
    const before = { 1: await history(1), 2: await history(2), 3: await history(3) }

    // As a database from before 0006 has them: no opening entries, no balances.
    await sql`DELETE FROM transfers WHERE status = 'opening'`.execute(service.db)
    await sql`UPDATE transfers SET source_balance_after = NULL, destination_balance_after = NULL`.execute(service.db)
    await backfill(service.db)
    await backfill(service.db) // idempotent: nothing more to write

    for (const id of [1, 2, 3] as const) {
      const items = await history(id)
      const opening = items.filter((item) => item.status === 'opening')
      expect(opening.map((item) => item.amount)).toEqual([OPENED[id]])
      expect(items.at(-1)).toBe(items.find((item) => item.status === 'opening'))
      // The same records and balances as the service wrote itself, but for the opening entry's id and time.
      const strip = (list: any[]) => list.map((item) => (item.status === 'opening' ? { ...item, transfer_id: undefined, created_at: undefined } : item))
      expect(strip(items)).toEqual(strip(before[id]))
      expect(items[0].balance_after).toBe(expected[id])
      const at = await api.get(`/v1/accounts/${id}?at=${encodeURIComponent(new Date().toISOString())}`)
      expect(at.status).toBe(200)
      expect(at.body.balance).toBe(expected[id])
    }

    const child = spawn(process.execPath, [MAIN, 'audit'], { env: { ...process.env, DATABASE_URL: service.databaseUrl, REDIS_URL: '' } })
    let output = ''
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()))
    const [code] = await once(child, 'exit')
    expect(code, output).toBe(0)
  })
})
