import { StoreOutcomeUnknown } from '../../../src/ports/errors.js'
import type { UnitOfWork, WriteTransaction } from '../../../src/ports/unit-of-work.js'

class RolledBack extends Error {}

/**
 * Wraps the real unit of work and, when armed, loses the answer to the next COMMIT: the
 * transaction is either really committed or really rolled back, and the caller learns neither,
 * exactly as when the connection drops between COMMIT and its reply.
 */
export class LosingCommit implements UnitOfWork {
  private armed: 'committed' | 'rolled back' | undefined

  constructor(private readonly inner: UnitOfWork) {}

  /** The next transaction ends as `outcome` and reports StoreOutcomeUnknown. */
  loseNextCommit(outcome: 'committed' | 'rolled back'): void {
    this.armed = outcome
  }

  async run<T>(work: (tx: WriteTransaction) => Promise<T>): Promise<T> {
    const outcome = this.armed
    if (!outcome) return this.inner.run(work)
    this.armed = undefined
    try {
      await this.inner.run(async (tx) => {
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
