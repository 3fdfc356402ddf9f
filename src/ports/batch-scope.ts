/**
 * How a batch of requests runs in their context. Requests are submitted in their own context
 * (their trace, say) and written together later; the scope lets the batch's work be attributed
 * to them without the write path knowing what a context is.
 */
export interface BatchScope {
  /** The caller's current context, kept with a request until its batch runs. */
  capture(): unknown
  /** Runs the work of one batch in the context of the requests it carries (`captured`, in batch order). */
  enter<T>(captured: readonly unknown[], work: () => Promise<T>): Promise<T>
}
