import type { AccountId } from '../domain/account.js'
import { Money } from '../domain/money.js'
import type { AccountCache } from '../ports/account-cache.js'
import type { AuditedAccount, AuditedTransfer, SnapshotReader } from '../ports/ledger-snapshot.js'

/** What the audit checks, each by a stable name. */
export const AUDIT_CHECKS = {
  'balance-is-sum-of-entries': "each account's balance equals its opening entry plus credits minus debits",
  'one-opening-entry': 'each account has exactly one opening entry, its own',
  'pending-totals': "each account's pending debits and credits equal its open pending transfers",
  'no-negative-balance': 'no balance, pending total or available balance is negative (or not a valid amount)',
  'transfers-reference-accounts': 'every transfer references accounts that exist',
} as const

export type AuditCheck = keyof typeof AUDIT_CHECKS

export interface Violation {
  check: AuditCheck
  /** The accounts and transfers involved. */
  accountIds: AccountId[]
  transferIds: string[]
  detail: string
}

export interface AuditReport {
  accounts: number
  transfers: number
  violations: Violation[]
  /** Accounts whose cached copy is older than the database's (the cache may lag until a refresh; reported, not a violation). */
  staleCache: { accountId: AccountId; cachedVersion: number; version: number }[]
  /** Whether the cache was compared at all. */
  cacheChecked: boolean
}

export type AuditLedger = () => Promise<AuditReport>

interface Tally {
  account: AuditedAccount
  openings: string[]
  opening: Money
  credits: Money
  debits: Money
  pendingOut: Money
  pendingIn: Money
}

/**
 * Reads the whole ledger from one consistent snapshot, in pages of `batchSize` rows (accounts,
 * then transfers), and checks AUDIT_CHECKS; then compares the cache's copy of each account with
 * the snapshot's version, `cacheConcurrency` reads at a time. Takes no lock: writers go on.
 * Sums are exact (Money); a balance is compared as opening + credits = balance + debits, so no
 * intermediate is negative.
 */
export function auditLedger(deps: { snapshots: SnapshotReader; cache?: AccountCache | undefined; batchSize: number; cacheConcurrency?: number }): AuditLedger {
  return async () => {
    const violations: Violation[] = []
    const report = (check: AuditCheck, detail: string, accountIds: AccountId[] = [], transferIds: string[] = []) =>
      violations.push({ check, accountIds, transferIds, detail })
    const tallies = new Map<AccountId, Tally>()
    let transfers = 0

    await deps.snapshots.read(async (snapshot) => {
      for (let after = 0; ; ) {
        const page = await snapshot.accounts(after, deps.batchSize)
        for (const account of page) {
          tallies.set(account.id, { account, openings: [], opening: Money.ZERO, credits: Money.ZERO, debits: Money.ZERO, pendingOut: Money.ZERO, pendingIn: Money.ZERO })
        }
        if (page.length < deps.batchSize) break
        after = page.at(-1)?.id ?? after
      }
      for (let after = ''; ; ) {
        const page = await snapshot.transfers(after, deps.batchSize)
        transfers += page.length
        for (const transfer of page) tallyTransfer(transfer, tallies, report)
        if (page.length < deps.batchSize) break
        after = page.at(-1)?.id ?? after
      }
    })

    for (const tally of tallies.values()) checkAccount(tally, report)

    const staleCache: AuditReport['staleCache'] = []
    if (deps.cache) {
      const ids = [...tallies.keys()]
      const step = deps.cacheConcurrency ?? 200
      for (let i = 0; i < ids.length; i += step) {
        const chunk = ids.slice(i, i + step)
        const cached = await Promise.all(chunk.map((id) => deps.cache?.get(id)))
        chunk.forEach((id, k) => {
          const copy = cached[k]
          const version = tallies.get(id)?.account.version ?? 0
          if (copy && copy.version < version) staleCache.push({ accountId: id, cachedVersion: copy.version, version })
        })
      }
    }
    return { accounts: tallies.size, transfers, violations, staleCache, cacheChecked: deps.cache !== undefined }
  }
}

type Report = (check: AuditCheck, detail: string, accountIds?: AccountId[], transferIds?: string[]) => void

function tallyTransfer(transfer: AuditedTransfer, tallies: Map<AccountId, Tally>, report: Report): void {
  const source = tallies.get(transfer.sourceAccountId)
  const destination = tallies.get(transfer.destinationAccountId)
  const missing = [transfer.sourceAccountId, transfer.destinationAccountId].filter((id) => !tallies.has(id))
  if (missing.length > 0) report('transfers-reference-accounts', `transfer ${transfer.id} names account(s) ${[...new Set(missing)].join(', ')} that do not exist`, [...new Set(missing)], [transfer.id])
  const { amount } = transfer
  if (!amount) return report('no-negative-balance', `transfer ${transfer.id} holds an amount that is not valid`, [], [transfer.id])
  if (transfer.status === 'opening') {
    if (transfer.sourceAccountId !== transfer.destinationAccountId) {
      return report('one-opening-entry', `opening entry ${transfer.id} names two accounts`, [transfer.sourceAccountId, transfer.destinationAccountId], [transfer.id])
    }
    if (destination) {
      destination.openings.push(transfer.id)
      destination.opening = destination.opening.plus(amount)
    }
    return
  }
  if (transfer.status === 'posted' && !transfer.wasPending) {
    if (source) source.debits = source.debits.plus(amount)
    if (destination) destination.credits = destination.credits.plus(amount)
  } else if (transfer.status === 'pending') {
    if (source) source.pendingOut = source.pendingOut.plus(amount)
    if (destination) destination.pendingIn = destination.pendingIn.plus(amount)
  }
}

function checkAccount(tally: Tally, report: Report): void {
  const { account } = tally
  const id = account.id
  if (tally.openings.length !== 1) report('one-opening-entry', `account ${id} has ${tally.openings.length} opening entries`, [id], tally.openings)
  const { balance, pendingDebits, pendingCredits } = account
  if (!balance || !pendingDebits || !pendingCredits) {
    report('no-negative-balance', `account ${id} holds a negative or invalid balance or pending total`, [id])
    return
  }
  if (balance.isLessThan(pendingDebits)) report('no-negative-balance', `account ${id}: available is negative (balance ${balance}, pending debits ${pendingDebits})`, [id])
  const expected = tally.opening.plus(tally.credits)
  const actual = balance.plus(tally.debits)
  if (!expected.equals(actual)) {
    report('balance-is-sum-of-entries', `account ${id}: balance ${balance}, but opening ${tally.opening} + credits ${tally.credits} − debits ${tally.debits} differ from it`, [id])
  }
  if (!pendingDebits.equals(tally.pendingOut)) report('pending-totals', `account ${id}: pending debits ${pendingDebits}, open pending transfers out ${tally.pendingOut}`, [id])
  if (!pendingCredits.equals(tally.pendingIn)) report('pending-totals', `account ${id}: pending credits ${pendingCredits}, open pending transfers in ${tally.pendingIn}`, [id])
}
