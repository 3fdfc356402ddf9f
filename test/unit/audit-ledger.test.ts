import { describe, expect, it } from 'vitest'
import { auditLedger } from '../../src/app/audit-ledger.js'
import { Money } from '../../src/domain/money.js'
import type { AuditedAccount, AuditedTransfer, LedgerSnapshot } from '../../src/ports/ledger-snapshot.js'
import { InMemoryAccountCache } from './fakes/in-memory-account-cache.js'

const money = (text: string) => Money.parse(text)
const account = (id: number, balance: string, debits = '0', credits = '0', version = 1): AuditedAccount => ({
  id,
  version,
  balance: money(balance),
  pendingDebits: money(debits),
  pendingCredits: money(credits),
})
let n = 0
const row = (from: number, to: number, amount: string, status: AuditedTransfer['status'] = 'posted', wasPending = false): AuditedTransfer => ({
  id: `t-${String(++n).padStart(4, '0')}`,
  sourceAccountId: from,
  destinationAccountId: to,
  amount: money(amount),
  status,
  wasPending,
})
const opening = (id: number, amount: string) => row(id, id, amount, 'opening')

/** A snapshot over fixed rows that records the pages asked for. */
function snapshotOf(accounts: AuditedAccount[], transfers: AuditedTransfer[]) {
  const pages: string[] = []
  const snapshot: LedgerSnapshot = {
    accounts: async (after, limit) => (pages.push(`a>${after}`), accounts.filter((a) => a.id > after).slice(0, limit)),
    transfers: async (after, limit) => (pages.push(`t>${after}`), transfers.filter((t) => t.id > after).slice(0, limit)),
  }
  return { pages, reader: { read: <T>(work: (s: LedgerSnapshot) => Promise<T>) => work(snapshot) } }
}

describe('auditLedger', () => {
  const books = () => [
    opening(1, '100'),
    opening(2, '0'),
    row(1, 2, '30'), // plain
    row(1, 2, '20', 'posted', true), // a pending transfer since posted: its post moved the money
    row(1, 2, '15'), // that post
    row(1, 2, '10', 'pending', true), // open
    row(2, 1, '5', 'voided', true),
    row(2, 1, '5', 'voided'), // its void
    row(2, 1, '7', 'expired', true),
  ]

  it('finds nothing wrong in books that add up, reading in bounded pages', async () => {
    const { reader, pages } = snapshotOf([account(1, '55', '10'), account(2, '45', '0', '10')], books())
    const report = await auditLedger({ snapshots: reader, batchSize: 2 })()
    expect(report).toMatchObject({ accounts: 2, transfers: 9, violations: [], staleCache: [], cacheChecked: false })
    expect(pages).toEqual(['a>0', 'a>2', 't>', 't>t-0002', 't>t-0004', 't>t-0006', 't>t-0008'])
  })

  it('names each violation with the ids involved', async () => {
    n = 100
    const { reader } = snapshotOf(
      [account(1, '56', '10'), account(2, '45', '0', '11'), account(3, '5', '6'), { ...account(4, '0'), balance: undefined }],
      [...books(), opening(3, '5'), opening(3, '0'), row(3, 9, '1')],
    )
    const report = await auditLedger({ snapshots: reader, batchSize: 100 })()
    expect(report.violations.map((v) => [v.check, v.accountIds, v.transferIds.length])).toEqual([
      ['transfers-reference-accounts', [9], 1],
      ['balance-is-sum-of-entries', [1], 0],
      ['pending-totals', [2], 0],
      ['one-opening-entry', [3], 2],
      ['no-negative-balance', [3], 0],
      ['balance-is-sum-of-entries', [3], 0],
      ['pending-totals', [3], 0],
      ['one-opening-entry', [4], 0],
      ['no-negative-balance', [4], 0],
    ])
  })

  it('reports cached copies older than the snapshot, not newer ones', async () => {
    n = 200
    const cache = new InMemoryAccountCache()
    const { reader } = snapshotOf([account(1, '100', '0', '0', 5), account(2, '0', '0', '0', 5)], [opening(1, '100'), opening(2, '0')])
    await cache.put([
      { id: 1, balance: Money.ZERO, pendingDebits: Money.ZERO, pendingCredits: Money.ZERO, version: 4 },
      { id: 2, balance: Money.ZERO, pendingDebits: Money.ZERO, pendingCredits: Money.ZERO, version: 6 },
    ])
    const report = await auditLedger({ snapshots: reader, cache, batchSize: 10 })()
    expect(report.staleCache).toEqual([{ accountId: 1, cachedVersion: 4, version: 5 }])
    expect(report.violations).toEqual([])
  })
})
