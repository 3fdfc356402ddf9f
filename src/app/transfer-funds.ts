import type { Account, AccountId } from '../domain/account.js'
import { AccountNotFound, DomainError } from '../domain/errors.js'
import type { Money } from '../domain/money.js'
import { applyTransfer, checkTransferRequest, type Transfer } from '../domain/transfer.js'
import type { AccountCache } from '../ports/account-cache.js'
import type { AccountTransaction } from '../ports/account-store.js'
import type { Clock } from '../ports/clock.js'
import type { IdGenerator } from '../ports/id-generator.js'
import { type Idempotency, type IdempotencyDeps, type IdempotentResult, runIdempotently } from './idempotently.js'
import { RecentConflicts } from './recent-conflicts.js'

export interface TransferFundsResult {
  transfer: Transfer
  /** Source and destination as committed, for callers that keep copies fresh. */
  accounts: readonly [Account, Account]
}

export interface TransferFundsInput {
  sourceAccountId: AccountId
  destinationAccountId: AccountId
  amount: Money
  idempotency?: Idempotency<TransferFundsResult> | undefined
}

export type TransferFunds = (input: TransferFundsInput) => Promise<IdempotentResult<TransferFundsResult>>

type TransferFundsDeps = IdempotencyDeps & { cache: AccountCache; ids: IdGenerator }

/** A transfer as requested, before the clock stamps it. */
type Request = Omit<Transfer, 'createdAt'>

/**
 * How long an account that lost a compare-and-set skips the quick path. Long enough that a hot
 * account tries it a few times a second rather than on every transfer; short enough that an
 * account which met one coincidental conflict soon goes back to one round trip.
 */
const CONFLICT_MEMORY_MS = 250

/**
 * Moves money between two accounts atomically: both balances and the transfer record commit
 * together or not at all. Throws SameAccount, InvalidAmount, AccountNotFound (naming the missing
 * account, source first), InsufficientFunds or BalanceLimitExceeded with nothing changed.
 * With a key, a retry of a finished request replays its saved response and moves nothing.
 * Once committed, both accounts are refreshed in the cache before the result is returned, so
 * the caller's next read sees at least this transfer.
 */
export function transferFunds(deps: TransferFundsDeps): TransferFunds {
  const conflicts = new RecentConflicts(CONFLICT_MEMORY_MS)
  return async ({ sourceAccountId, destinationAccountId, amount, idempotency }) => {
    checkTransferRequest(sourceAccountId, destinationAccountId, amount)
    const request: Request = { id: deps.ids.next(), sourceAccountId, destinationAccountId, amount }
    const ids = [sourceAccountId, destinationAccountId]
    // A key is claimed inside the transaction that does the work: keyed requests take the locking path.
    const tryQuick = !idempotency && !conflicts.involves(ids, deps.clock.now().getTime())
    const quick = tryQuick ? await onCachedCopies(deps, request, conflicts) : undefined
    const result: IdempotentResult<TransferFundsResult> = quick
      ? { kind: 'done', value: quick }
      : await runIdempotently(deps, idempotency, (tx) => underLocks(tx, deps.clock, request))
    // Only after the commit: a refresh before it could publish a balance that then rolls back.
    if (result.kind === 'done') await deps.cache.put(result.value.accounts)
    return result
  }
}

/** The locking path: the rules are checked against both accounts locked, then the result is written. */
async function underLocks(tx: AccountTransaction, clock: Clock, request: Request): Promise<TransferFundsResult> {
  const locked = await tx.lockAccounts([request.sourceAccountId, request.destinationAccountId])
  const source = locked.get(request.sourceAccountId)
  if (!source) throw new AccountNotFound(request.sourceAccountId)
  const destination = locked.get(request.destinationAccountId)
  if (!destination) throw new AccountNotFound(request.destinationAccountId)

  const after = applyTransfer(source, destination, request.amount)
  // Taken under the locks, so history order follows commit order as closely as the clock allows.
  const transfer: Transfer = { ...request, createdAt: clock.now() }
  const accounts = [after.source, after.destination] as const
  await tx.recordTransfer(transfer, accounts)
  return { transfer, accounts }
}

/**
 * The quick path, one round trip to the store: the rules are checked against the cached copies
 * of both accounts, and the result is committed only if neither account has changed since (same
 * version, hence same balance). Undefined, with nothing changed, when a copy is missing, when the
 * rules refuse (a copy may be behind, and only the locked truth may refuse), or when an account
 * has moved on; the locking path then decides. An account that moved on is remembered in
 * `conflicts`, so the transfers that follow it skip this path for a short while.
 */
async function onCachedCopies(
  deps: TransferFundsDeps,
  request: Request,
  conflicts: RecentConflicts,
): Promise<TransferFundsResult | undefined> {
  const [source, destination] = await Promise.all([deps.cache.get(request.sourceAccountId), deps.cache.get(request.destinationAccountId)])
  if (!source || !destination) return undefined
  let after: ReturnType<typeof applyTransfer>
  try {
    after = applyTransfer(source, destination, request.amount)
  } catch (error) {
    if (error instanceof DomainError) return undefined
    throw error
  }
  const transfer: Transfer = { ...request, createdAt: deps.clock.now() }
  const accounts = [after.source, after.destination] as const
  if (await deps.accounts.recordTransferIfUnchanged(transfer, accounts)) return { transfer, accounts }
  conflicts.lost([request.sourceAccountId, request.destinationAccountId], deps.clock.now().getTime())
  return undefined
}
