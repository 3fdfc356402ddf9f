import type { CreateAccount } from '../../app/create-account.js'
import type { SweepIdempotencyKeys } from '../../app/sweep-idempotency-keys.js'
import type { TransferFunds } from '../../app/transfer-funds.js'
import type { ServiceMetrics } from './metrics/index.js'

/** Awaits `call`, telling `returned` or `threw` what came of it, and passes that on unchanged. */
async function observed<R>(call: Promise<R>, returned: (result: R) => void, threw: (error: unknown) => void): Promise<R> {
  try {
    const result = await call
    returned(result)
    return result
  } catch (error) {
    threw(error)
    throw error
  }
}

/**
 * Counts what the use cases answered, wrapped where they are wired (like their spans), so app/
 * knows nothing of metrics and the counts follow each use case's contract, however its inside
 * works: a transfer is applied when it returns `done`, replayed when it returns `replayed`, and
 * refused, unknown or failed by the code it throws.
 */
export function meteredUseCases({ transfers, idempotency }: ServiceMetrics) {
  const keyed = (operation: string, key: unknown) => ({
    returned: (result: { kind: string }) => key && idempotency.finished(operation, { replayed: result.kind === 'replayed' }),
    threw: (error: unknown) => key && idempotency.finished(operation, { error }),
  })
  return {
    transferFunds:
      (fn: TransferFunds): TransferFunds =>
      (input) => {
        const key = keyed('transfer-funds', input.idempotency)
        return observed(
          fn(input),
          (result) => {
            if (result.kind === 'replayed') transfers.replayed()
            else if (input.pending) transfers.reserved()
            else transfers.applied(input.amount)
            key.returned(result)
          },
          (error) => {
            transfers.threw(error)
            key.threw(error)
          },
        )
      },

    createAccount:
      (fn: CreateAccount): CreateAccount =>
      (input) => {
        const key = keyed('create-account', input.idempotency)
        return observed(fn(input), key.returned, key.threw)
      },

    sweepIdempotencyKeys:
      (fn: SweepIdempotencyKeys): SweepIdempotencyKeys =>
      () =>
        observed(fn(), (deleted) => idempotency.keysSwept(deleted), () => {}),
  }
}
