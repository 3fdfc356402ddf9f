import type { Account, AccountId } from '../../../src/domain/account.js'
import type { AccountRecords } from '../../../src/ports/account-records.js'

/** Wraps the real account reads: counts them, and can hold them after the database has answered. */
export class CountingRecords implements AccountRecords {
  reads = 0
  private gate: Promise<void> | undefined
  private open: () => void = () => {}

  constructor(private readonly inner: AccountRecords) {}

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
}
