import { StoreOutcomeUnknown } from '../../../src/ports/errors.js'
import type { UnitOfWork, WriteTransaction } from '../../../src/ports/unit-of-work.js'

class RolledBack extends Error {}

/**
 * Wraps the real unit of work and, when armed, loses the answer to a COMMIT: the transaction is
 * either really committed or really rolled back, and the caller learns neither, exactly as when
 * the connection drops between COMMIT and its reply. It also tells when a transaction sends its
 * lock of accounts, for tests that must act while that lock waits.
 */
export class ObservedUnitOfWork implements UnitOfWork {
  private armed: { outcome: 'committed' | 'rolled back'; minTransfers: number } | undefined
  private lockSent: ((ids: readonly number[]) => void) | undefined

  /** Resolves when a transaction next sends a lock of accounts that includes `id`. */
  nextLockOf(id: number): Promise<void> {
    return new Promise((resolve) => {
      this.lockSent = (ids) => {
        if (!ids.includes(id)) return
        this.lockSent = undefined
        resolve()
      }
    })
  }

  constructor(private readonly inner: UnitOfWork) {}

  /** The next transaction (that writes at least `minTransfers` transfers) ends as `outcome` and reports StoreOutcomeUnknown. */
  loseNextCommit(outcome: 'committed' | 'rolled back', minTransfers = 0): void {
    this.armed = { outcome, minTransfers }
  }

  /** The transaction, its lock calls reported to nextLockOf's waiter. */
  private observed(tx: WriteTransaction): WriteTransaction {
    return {
      ...tx,
      accounts: {
        lock: (ids) => {
          const locking = tx.accounts.lock(ids)
          this.lockSent?.(ids)
          return locking
        },
        lockAvailable: (ids) => tx.accounts.lockAvailable(ids),
        write: (changes) => tx.accounts.write(changes),
      },
    }
  }

  disarm(): void {
    this.armed = undefined
  }

  async run<T>(work: (tx: WriteTransaction) => Promise<T>): Promise<T> {
    const armed = this.armed
    if (!armed) return this.inner.run((tx) => work(this.observed(tx)))
    let transfers = 0
    let lost = false
    try {
      const result = await this.inner.run(async (tx) => {
        const counted: WriteTransaction = {
          ...this.observed(tx),
          transfers: {
            lock: (ids) => tx.transfers.lock(ids),
            insert: (rows) => ((transfers += rows.filter((row) => row.status !== 'opening').length), tx.transfers.insert(rows)),
            resolve: (rows) => tx.transfers.resolve(rows),
          },
        }
        const result = await work(counted)
        lost = transfers >= armed.minTransfers && this.armed === armed
        if (lost) this.armed = undefined
        if (lost && armed.outcome === 'rolled back') throw new RolledBack()
        return result
      })
      if (!lost) return result
    } catch (error) {
      if (!(error instanceof RolledBack)) throw error
    }
    throw new StoreOutcomeUnknown(`test: the commit's answer was lost (${armed.outcome})`)
  }
}
