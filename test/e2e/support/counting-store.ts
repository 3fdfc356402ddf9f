import type { Account, AccountId } from '../../../src/domain/account.js'
import type { AccountStore, AccountTransaction } from '../../../src/ports/account-store.js'

/**
 * Wraps the real store: counts its reads and can hold them after the database has answered, and
 * counts the one-round-trip transfers it committed and declined.
 */
export class CountingStore implements AccountStore {
  reads = 0
  readonly quickTransfers = { committed: 0, declined: 0 }
  private gate: Promise<void> | undefined
  private open: () => void = () => {}

  constructor(private readonly inner: AccountStore) {}

  /** Reads from now on return only after release(); the database has answered by then. */
  holdReads(): void {
    this.gate = new Promise((resolve) => (this.open = resolve))
  }

  releaseReads(): void {
    this.gate = undefined
    this.open()
  }

  async find(id: AccountId): Promise<Account | undefined> {
    this.reads++
    const account = await this.inner.find(id)
    await this.gate
    return account
  }

  transaction<T>(work: (tx: AccountTransaction) => Promise<T>): Promise<T> {
    return this.inner.transaction(work)
  }

  recordTransferIfUnchanged: AccountStore['recordTransferIfUnchanged'] = async (transfer, accounts) => {
    const committed = await this.inner.recordTransferIfUnchanged(transfer, accounts)
    this.quickTransfers[committed ? 'committed' : 'declined']++
    return committed
  }
}
