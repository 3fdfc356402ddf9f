import { type BatchReport, createLedger, type Ledger } from '../../../src/app/ledger.js'
import type { BatchScope } from '../../../src/ports/batch-scope.js'
import { InMemoryAccountCache } from './in-memory-account-cache.js'
import { InMemoryLedgerStore } from './in-memory-ledger-store.js'

/** Runs every batch as it is; contexts are the submitters' labels. */
export const plainScope: BatchScope = { capture: () => undefined, enter: (_captured, work) => work() }

export interface TestLedger {
  ledger: Ledger
  store: InMemoryLedgerStore
  cache: InMemoryAccountCache
  reports: BatchReport[]
  clock: { now: () => Date; set(date: Date): void }
}

/** The real write path over the in-memory store and cache, with a settable clock. */
export function testLedger(
  options: { maxSize?: number; maxInFlight?: number; queueLimit?: number; attempts?: number; conflictAttempts?: number; events?: boolean } = {},
): TestLedger {
  const store = new InMemoryLedgerStore()
  const cache = new InMemoryAccountCache()
  const reports: BatchReport[] = []
  let now = new Date('2026-11-22T10:00:00.000Z')
  const clock = { now: () => now, set: (date: Date) => void (now = date) }
  const ledger = createLedger({
    unitOfWork: store,
    cache,
    clock,
    scope: plainScope,
    retentionMs: 86_400_000,
    ...(options.events ? { events: sequentialIds() } : {}),
    batching: { maxSize: options.maxSize ?? 64, maxInFlight: options.maxInFlight ?? 1, queueLimit: options.queueLimit ?? 1000 },
    retry: { attempts: options.attempts ?? 3, ...(options.conflictAttempts ? { conflictAttempts: options.conflictAttempts } : {}), baseDelayMs: 1, maxDelayMs: 4 },
    observe: (report) => reports.push(report),
  })
  return { ledger, store, cache, reports, clock }
}

/** Event ids `e1`, `e2`, … in the order they are made. */
function sequentialIds(): { next(): string } {
  let last = 0
  return { next: () => `e${++last}` }
}
