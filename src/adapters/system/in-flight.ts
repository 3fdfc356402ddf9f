/**
 * Counts calls still running, so shutdown can wait for them before closing the pool. The HTTP
 * server's close only waits for sockets, and a client that hung up leaves its handler running.
 */
export class InFlight {
  private running = 0
  private waiters: (() => void)[] = []

  track<A extends unknown[], R>(fn: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
    return async (...args) => {
      this.running++
      try {
        return await fn(...args)
      } finally {
        if (--this.running === 0) for (const wake of this.waiters.splice(0)) wake()
      }
    }
  }

  /** Resolves once no tracked call is running. */
  drained(): Promise<void> {
    return this.running === 0 ? Promise.resolve() : new Promise((resolve) => this.waiters.push(resolve))
  }
}
