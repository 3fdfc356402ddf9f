import { StoreUnavailable } from '../../ports/errors.js'

/**
 * `fn`, answered StoreUnavailable once `ms` have passed without its result. For reads only: what
 * `fn` started goes on (bounded by its pool) and its late result is dropped, which is harmless
 * because a read changes nothing. The write path keeps its deadline itself (createLedger), since
 * it may answer only once a transaction has ended.
 */
export function withDeadline<A extends unknown[], R>(ms: number, fn: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
  return (...args) => {
    const work = fn(...args)
    let timer: NodeJS.Timeout | undefined
    const expired = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new StoreUnavailable(`No answer from the database within the ${ms} ms deadline`)), ms)
    })
    // A late failure of the dropped work must not become an unhandled rejection.
    work.catch(() => {})
    return Promise.race([work, expired]).finally(() => clearTimeout(timer))
  }
}
