/**
 * A port could not do its work in bounded time: the backing service is unreachable, overloaded
 * or kept losing lock races. Nothing was changed unless the caller is told otherwise; retrying
 * later is safe.
 */
export class StoreUnavailable extends Error {
  readonly code = 'SERVICE_UNAVAILABLE'
}
