import type { Account, AccountId } from '../../../src/domain/account.js'
import type { LedgerEvent } from '../../../src/domain/events.js'
import type { Transfer } from '../../../src/domain/transfer.js'
import type { AccountRecords } from '../../../src/ports/account-records.js'
import { LockConflict, StoreOutcomeUnknown } from '../../../src/ports/errors.js'
import type { TransferRecords } from '../../../src/ports/transfer-records.js'
import type { IdempotencyRecord, IdempotencyRecords, StoredResponse } from '../../../src/ports/idempotency.js'
import type { UnitOfWork, WriteTransaction } from '../../../src/ports/unit-of-work.js'

interface KeyRow {
  fingerprint: string
  expiresAt: Date
  response?: StoredResponse
}

/** Where an injected failure strikes a transaction. */
export type FaultPoint = 'claim' | 'lock' | 'commit'

/**
 * The write ports' contracts in memory. Transactions run one at a time (the lock), see committed
 * state, and stage their writes, which become visible only when `work` resolves; a throwing `work`
 * leaves nothing behind. It checks what the MariaDB adapter checks: an update must name the version
 * it locked, and a saved key must have been claimed by the same transaction.
 *
 * Faults for the write path's recovery rules: `fail(point, error)` throws once at that point;
 * `busy` accounts make `lock` run out of lock wait and are skipped by `lockAvailable`, and
 * `heldKeys` do the same to `claim`;
 * `poisoned` transfer ids make the commit fail with a constraint-like error; `loseNextCommit`
 * ends the next transaction as told and reports StoreOutcomeUnknown.
 */
export class InMemoryLedgerStore implements UnitOfWork {
  readonly accounts = new Map<AccountId, Account>()
  readonly transfers: Transfer[] = []
  /** Events committed to the outbox, in the order appended. */
  readonly events: LedgerEvent[] = []
  readonly keys = new Map<string, KeyRow>()
  readonly busy = new Set<AccountId>()
  readonly poisoned = new Set<string>()
  /** Keys another transaction holds: claiming one runs out of lock wait. */
  readonly heldKeys = new Set<string>()
  /** Transactions begun, committed or not. */
  transactions = 0
  /** Sizes of the account sets locked, one per lock call. */
  readonly lockCalls: { ids: AccountId[]; mode: 'wait' | 'skip-busy' }[] = []
  /** Called after each lock call, e.g. to let another holder go at a chosen moment. */
  onLockCall: (call: { ids: AccountId[]; mode: 'wait' | 'skip-busy' }) => void = () => {}
  private readonly faults: { point: FaultPoint; error: Error }[] = []
  private lostCommit: 'committed' | 'rolled back' | undefined
  private queue: Promise<void> = Promise.resolve()

  seed(account: Account): void {
    this.accounts.set(account.id, account)
  }

  fail(point: FaultPoint, error: Error): void {
    this.faults.push({ point, error })
  }

  loseNextCommit(outcome: 'committed' | 'rolled back'): void {
    this.lostCommit = outcome
  }

  run<T>(work: (tx: WriteTransaction) => Promise<T>): Promise<T> {
    const turn = this.queue.then(() => this.runAlone(work))
    this.queue = turn.then(
      () => {},
      () => {},
    )
    return turn
  }

  private async runAlone<T>(work: (tx: WriteTransaction) => Promise<T>): Promise<T> {
    this.transactions++
    const locked = new Map<AccountId, Account>()
    const written: Account[] = []
    const transfers: Transfer[] = []
    const events: LedgerEvent[] = []
    const resolved: Transfer[] = []
    const claimed = new Map<string, KeyRow>()
    const saved = new Map<string, StoredResponse>()
    const released = new Set<string>()
    const strike = (point: FaultPoint) => {
      const index = this.faults.findIndex((fault) => fault.point === point)
      if (index >= 0) throw this.faults.splice(index, 1)[0]?.error
    }
    const lockExisting = (ids: readonly AccountId[]) => {
      for (const id of ids) {
        const account = this.accounts.get(id)
        if (account) locked.set(id, account)
      }
    }

    const tx: WriteTransaction = {
      accounts: {
        lock: async (ids) => {
          strike('lock')
          this.lockCalls.push({ ids: [...ids], mode: 'wait' })
          if (ids.some((id) => this.busy.has(id))) throw new LockConflict('lock-wait', 'account')
          lockExisting(ids)
          this.onLockCall({ ids: [...ids], mode: 'wait' })
          return new Map(locked)
        },
        lockAvailable: async (ids) => {
          strike('lock')
          this.lockCalls.push({ ids: [...ids], mode: 'skip-busy' })
          const busy = new Set(ids.filter((id) => this.busy.has(id) && this.accounts.has(id)))
          lockExisting(ids.filter((id) => !busy.has(id)))
          this.onLockCall({ ids: [...ids], mode: 'skip-busy' })
          return { locked: new Map(locked), busy }
        },
        write: (changes) => {
          for (const { before, after } of changes) {
            if (before && locked.get(after.id)?.version !== before.version) throw new Error(`account ${after.id} was written without its lock`)
            if (!before && this.accounts.has(after.id)) throw new Error(`account ${after.id} inserted twice`)
            written.push(after)
          }
        },
      },
      outbox: { append: (appended) => void events.push(...appended) },
      transfers: {
        lock: async (ids) => {
          const found = new Map<string, Transfer>()
          for (const id of ids) {
            const transfer = this.transfers.find((row) => row.id === id)
            if (transfer) found.set(id, transfer)
          }
          return found
        },
        insert: (rows) => void transfers.push(...rows),
        resolve: (rows) => void resolved.push(...rows),
      },
      idempotencyKeys: {
        claim: async (claims) => {
          strike('claim')
          if (claims.some(({ key }) => this.heldKeys.has(key))) throw new LockConflict('lock-wait', 'idempotency-key')
          const committed = new Map<string, IdempotencyRecord>()
          for (const { key, fingerprint, expiresAt } of claims) {
            const row = this.keys.get(key)
            if (row?.response) committed.set(key, { key, fingerprint: row.fingerprint, response: row.response })
            else claimed.set(key, { fingerprint, expiresAt })
          }
          return committed
        },
        save: (responses) => {
          for (const { key, response } of responses) {
            if (!claimed.has(key)) throw new Error(`key ${key} saved without being claimed`)
            saved.set(key, response)
          }
        },
        release: (keys) => {
          for (const key of keys) {
            if (!claimed.has(key)) throw new Error(`key ${key} released without being claimed`)
            released.add(key)
          }
        },
      },
    }

    const result = await work(tx)
    strike('commit')
    if (transfers.some((transfer) => this.poisoned.has(transfer.id))) throw new Error('test: a constraint failed')
    const lost = this.lostCommit
    this.lostCommit = undefined
    if (lost === 'rolled back') throw new StoreOutcomeUnknown('test: the commit answer was lost (rolled back)')
    for (const account of written) this.accounts.set(account.id, account)
    this.transfers.push(...transfers)
    this.events.push(...events)
    for (const after of resolved) {
      const index = this.transfers.findIndex((row) => row.id === after.id)
      if (index < 0 || this.transfers[index]?.status !== 'pending') throw new Error(`transfer ${after.id} resolved but not pending`)
      this.transfers[index] = after
    }
    for (const [key, row] of claimed) {
      if (released.has(key)) continue
      const response = saved.get(key)
      if (!response) throw new Error(`key ${key} committed without a response`)
      this.keys.set(key, { ...row, response })
    }
    if (lost === 'committed') throw new StoreOutcomeUnknown('test: the commit answer was lost (committed)')
    return result
  }

  /** Committed transfers, through the read port. */
  readonly transferRecords: TransferRecords = {
    find: async (id) => this.transfers.find((row) => row.id === id),
    listExpired: async (at, limit) =>
      this.transfers
        .filter((row) => row.status === 'pending' && row.expiresAt !== null && row.expiresAt <= at)
        .sort((a, b) => (a.expiresAt?.getTime() ?? 0) - (b.expiresAt?.getTime() ?? 0))
        .slice(0, limit),
    lastAt: async (accountId, at) =>
      this.transfers.findLast(
        (row) => (row.sourceAccountId === accountId || row.destinationAccountId === accountId) && row.createdAt.getTime() <= at.getTime(),
      ),
    listByAccount: async () => {
      throw new Error('not used by these tests')
    },
  }

  /** Committed accounts, through the read port. */
  readonly records: AccountRecords = { find: async (id) => this.accounts.get(id) }

  /** Committed keys, through the maintenance port. */
  readonly keyRecords: IdempotencyRecords = {
    deleteExpired: async (now, limit) => {
      const expired = [...this.keys].filter(([, row]) => row.expiresAt < now).slice(0, limit)
      for (const [key] of expired) this.keys.delete(key)
      return expired.length
    },
  }
}
