import { randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { expect } from 'vitest'
import type { client } from '../../e2e/support/service.js'

type Api = ReturnType<typeof client>

// Integer units of 10^-18 with BigInt: an oracle that shares no code with the service's decimal.js.
const SCALE = 10n ** 18n
export const units = (text: string): bigint => {
  const [whole = '0', fraction = ''] = text.split('.')
  return BigInt(whole) * SCALE + BigInt(fraction.padEnd(18, '0'))
}

export interface Sent {
  from: number
  to: number
  amount: string
}

/** What the clients were told: the only ground truth the checks use. */
export interface BankRun {
  ids: number[]
  initial: Map<number, bigint>
  /** Transfers answered 201, by transfer id. */
  acknowledged: Map<string, Sent>
  /** Every answer, first attempts and retries, by "status code" (e.g. "503 COMMIT_OUTCOME_UNKNOWN"). */
  answers: Map<string, number>
  /** Requests answered 201 or 422 only after one or more 503/409 answers or dropped connections. */
  settledAfterRetry: number
  /** The longest any single answer took, in ms. */
  slowestMs: number
}

const count = (answers: Map<string, number>, key: string) => answers.set(key, (answers.get(key) ?? 0) + 1)

/** Opens `count` accounts from `firstId` through the first api, with uneven balances, some small enough to run dry. */
export async function openAccounts(api: Api, firstId: number, count: number): Promise<Pick<BankRun, 'ids' | 'initial'>> {
  const ids = Array.from({ length: count }, (_, i) => firstId + i)
  const initial = new Map<number, bigint>()
  for (const id of ids) {
    const balance = `${(id * 37) % 200}.${String((id * 7919) % 1000).padStart(3, '0')}`
    const reply = await api.createAccount(id, balance)
    expect(reply.status, JSON.stringify(reply.body)).toBe(201)
    initial.set(id, units(balance))
  }
  return { ids, initial }
}

export interface TransferLoad {
  apis: Api[]
  accounts: Pick<BankRun, 'ids' | 'initial'>
  workers: number
  perWorker: number
  /** Called after each settled request with how many have settled so far. */
  onSettled?: (settled: number) => void
  /** How long one request may keep being retried (503, 409, a dropped connection) before the run fails. */
  settleWithinMs?: number
}

/**
 * Workers send random transfers, each with an Idempotency-Key, worker i through apis[i % n]. A 503
 * (SERVICE_UNAVAILABLE or COMMIT_OUTCOME_UNKNOWN), a 409 IDEMPOTENCY_KEY_IN_USE or a dropped
 * connection is retried with the same key, as the README tells a client to, until the request is
 * answered 201 or 422; anything else fails the run.
 */
export async function sendTransfers(load: TransferLoad): Promise<BankRun> {
  const { ids } = load.accounts
  const acknowledged = new Map<string, Sent>()
  const answers = new Map<string, number>()
  let settled = 0
  let settledAfterRetry = 0
  let slowestMs = 0
  const pick = () => ids[Math.floor(Math.random() * ids.length)] as number
  await Promise.all(
    Array.from({ length: load.workers }, async (_, worker) => {
      const api = load.apis[worker % load.apis.length] as Api
      for (let i = 0; i < load.perWorker; i++) {
        const from = pick()
        let to = pick()
        while (to === from) to = pick()
        const amount = `${Math.floor(Math.random() * 40)}.${String(Math.floor(Math.random() * 1e6)).padStart(6, '0')}1`
        const key = randomUUID()
        const deadline = Date.now() + (load.settleWithinMs ?? 60_000)
        for (let attempt = 0; ; attempt++) {
          const sent = performance.now()
          const reply = await api
            .post('/v1/transfers', { source_account_id: from, destination_account_id: to, amount }, { 'idempotency-key': key })
            .catch((error: unknown) => ({ status: 0, body: { code: (error as Error).message } }) as const)
          slowestMs = Math.max(slowestMs, performance.now() - sent)
          count(answers, `${reply.status} ${reply.body?.code ?? ''}`.trim())
          if (reply.status === 201 || reply.status === 422) {
            if (reply.status === 201) {
              const known = acknowledged.get(reply.body.transfer_id)
              if (known) expect(known, 'one transfer id acknowledged for two requests').toEqual({ from, to, amount })
              acknowledged.set(reply.body.transfer_id, { from, to, amount })
            } else expect(reply.body.code, JSON.stringify(reply.body)).toBe('INSUFFICIENT_FUNDS')
            if (attempt > 0) settledAfterRetry++
            break
          }
          const retryable = reply.status === 503 || reply.status === 0 || (reply.status === 409 && reply.body.code === 'IDEMPOTENCY_KEY_IN_USE')
          expect(retryable, `unexpected answer ${reply.status} ${JSON.stringify(reply.body)}`).toBe(true)
          expect(Date.now() < deadline, `request ${key} was not settled within the deadline`).toBe(true)
          await sleep(100)
        }
        load.onSettled?.(++settled)
      }
    }),
  )
  return { ...load.accounts, acknowledged, answers, settledAfterRetry, slowestMs: Math.round(slowestMs) }
}

/** Each account's balance as the acknowledged transfers say it must be. */
export function expectedBalances(run: BankRun): Map<number, bigint> {
  const expected = new Map(run.initial)
  for (const { from, to, amount } of run.acknowledged.values()) {
    expected.set(from, (expected.get(from) as bigint) - units(amount))
    expected.set(to, (expected.get(to) as bigint) + units(amount))
  }
  return expected
}

/** What one server holds: every account's balance and every transfer row. */
export interface Holdings {
  balances: { account_id: number | string; balance: string }[]
  transfers: { transfer_id: string; source_account_id: number | string; destination_account_id: number | string; amount: string }[]
}

/**
 * The server holds exactly what the clients were told: each account at the balance its
 * acknowledged transfers give (none negative, the sum unchanged), and one transfer row for each
 * acknowledged transfer, as it was answered, and none other (no 201 without a commit, no commit
 * without its 201 once retries settled, nothing half-applied).
 */
export function expectLedger(run: BankRun, holdings: Holdings, where: string): void {
  const expected = expectedBalances(run)
  const held = new Map(holdings.balances.map((row) => [Number(row.account_id), units(row.balance)]))
  let before = 0n
  let after = 0n
  for (const id of run.ids) {
    expect(held.get(id), `${where}: account ${id}`).toBe(expected.get(id))
    expect((held.get(id) as bigint) >= 0n, `${where}: account ${id} is negative`).toBe(true)
    before += run.initial.get(id) as bigint
    after += held.get(id) as bigint
  }
  expect(after, `${where}: money conserved`).toBe(before)
  expect(holdings.transfers.length, `${where}: transfer rows`).toBe(run.acknowledged.size)
  for (const row of holdings.transfers) {
    const sent = run.acknowledged.get(row.transfer_id)
    expect(sent, `${where}: transfer ${row.transfer_id} was never acknowledged`).toBeDefined()
    expect([Number(row.source_account_id), Number(row.destination_account_id), units(row.amount)]).toEqual([sent?.from, sent?.to, units(sent?.amount ?? '')])
  }
}

/** Every instance answers each account's balance as the ledger says (the shared cache was refreshed after each commit). */
export async function expectCacheCoherent(run: BankRun, apis: Api[]): Promise<void> {
  const expected = expectedBalances(run)
  for (const id of run.ids) {
    for (const [i, api] of apis.entries()) expect(units(await api.balance(id)), `account ${id} via instance ${i + 1}`).toBe(expected.get(id))
  }
}

export const HOLDINGS_SQL = {
  balances: (ids: number[]) => `SELECT account_id, CAST(balance AS CHAR) AS balance FROM accounts WHERE account_id IN (${ids.join(',')})`,
  transfers: 'SELECT transfer_id, source_account_id, destination_account_id, CAST(amount AS CHAR) AS amount FROM transfers WHERE status <> \'opening\'',
}
