import type { AccountStore, AccountTransaction } from '../../../src/ports/account-store.js'
import { StoreOutcomeUnknown } from '../../../src/ports/errors.js'

class RolledBack extends Error {}

/**
 * Wraps the real store and, when armed, loses the answer to the next COMMIT: the transaction is
 * either really committed or really rolled back, and the caller learns neither, exactly as when
 * the connection drops between COMMIT and its reply.
 */
export class LosingCommitStore implements AccountStore {
  private armed: 'committed' | 'rolled back' | undefined

  constructor(private readonly inner: AccountStore) {}

  /** The next transaction ends as `outcome` and reports StoreOutcomeUnknown. */
  loseNextCommit(outcome: 'committed' | 'rolled back'): void {
    this.armed = outcome
  }

  find: AccountStore['find'] = (id) => this.inner.find(id)

  recordTransferIfUnchanged: AccountStore['recordTransferIfUnchanged'] = (transfer, accounts) =>
    this.inner.recordTransferIfUnchanged(transfer, accounts)

  async transaction<T>(work: (tx: AccountTransaction) => Promise<T>): Promise<T> {
    const outcome = this.armed
    if (!outcome) return this.inner.transaction(work)
    this.armed = undefined
    try {
      await this.inner.transaction(async (tx) => {
        const result = await work(tx)
        if (outcome === 'rolled back') throw new RolledBack()
        return result
      })
    } catch (error) {
      if (!(error instanceof RolledBack)) throw error
    }
    throw new StoreOutcomeUnknown(`test: the commit's answer was lost (${outcome})`)
  }
}
