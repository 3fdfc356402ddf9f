import type { Account } from '../domain/account.js'
import { type Applied, accountsOf, applyBatch, type Command, type Outcome, pendingTransfersOf, recordsOf, renumbered } from '../domain/batch.js'
import { eventsOf, type LedgerEvent } from '../domain/events.js'
import type { Transfer } from '../domain/transfer.js'
import type { Clock } from '../ports/clock.js'
import type { IdGenerator } from '../ports/id-generator.js'
import type { StoredResponse } from '../ports/idempotency.js'
import type { WriteTransaction } from '../ports/unit-of-work.js'
import { ERRORS, codeOf, IdempotencyKeyReused } from './errors.js'
import type { Idempotency } from './idempotency.js'

/** A command's result once its batch has committed: applied (with its saved answer, when keyed), or an earlier answer replayed. */
export type Settled<O extends Applied> =
  | { kind: 'applied'; outcome: O; response?: StoredResponse }
  | { kind: 'replayed'; response: StoredResponse }

/** One request waiting for the write path. */
export interface Submission {
  readonly command: Command
  readonly idempotency: Idempotency<Applied> | undefined
  /** The submitter's context (see BatchScope). */
  readonly context: unknown
  /** A `performance.now()` instant by which the submission is answered, if it has one. */
  readonly deadline?: number
  resolve(settled: Settled<Applied>): void
  reject(error: unknown): void
}

/**
 * How accounts are locked. `wait`: for as long as the lock-wait bound allows. `skip-busy`: only
 * those no other transaction holds; submissions needing the others are set aside.
 */
export type LockMode = 'wait' | 'skip-busy'

/** What one transaction decided, to be handed out once it has committed. */
export interface Written {
  /** Each submission answered by this transaction, with its result. */
  readonly results: Map<Submission, { settled: Settled<Applied> } | { error: unknown }>
  /** Submissions left for another transaction: their accounts were busy. */
  readonly setAside: readonly Submission[]
  /** Every account the transaction changed, in its final state, and those of its replays as it found them. */
  readonly accounts: readonly Account[]
}

/**
 * The body of one batch's transaction, in three steps: (1) claim the keys of keyed submissions,
 * which answers those whose key committed before; (2) lock every account the rest need, by one
 * statement; (3) apply the commands in memory in submission order and queue all writes (account
 * states, transfer records, saved answers, released keys), which reach the database with the
 * commit. With no key in the batch that is two round trips, lock and commit; with keys, three.
 */
export async function writeBatch(
  tx: WriteTransaction,
  submissions: readonly Submission[],
  mode: LockMode,
  deps: {
    clock: Clock
    retentionMs: number
    /** When given, the records' ids are made here, as the commands are applied (see `renumbered`). */
    ids?: IdGenerator
    /** When given, the applied outcomes' events go to the outbox, with ids from here. */
    events?: IdGenerator | undefined
  },
): Promise<Written> {
  const results: Written['results'] = new Map()
  const released: string[] = []

  const keyed = submissions.filter(isKeyed)
  if (keyed.length > 0) {
    const expiresAt = new Date(deps.clock.now().getTime() + deps.retentionMs)
    const claims = keyed.map(({ idempotency }) => ({ key: idempotency.key, fingerprint: idempotency.fingerprint, expiresAt }))
    const committed = await tx.idempotencyKeys.claim(claims)
    for (const submission of keyed) {
      const record = committed.get(submission.idempotency.key)
      if (!record) continue
      results.set(
        submission,
        record.fingerprint === submission.idempotency.fingerprint
          ? { settled: { kind: 'replayed', response: record.response } }
          : { error: new IdempotencyKeyReused('This Idempotency-Key was already used for a different request') },
      )
    }
  }

  let runnable = submissions.filter((submission) => !results.has(submission))
  // A replay's accounts are locked and read too, to refresh the cache: the refresh that followed
  // the first COMMIT may have been lost with its process.
  const replayed = [...results].flatMap(([submission, result]) => ('settled' in result ? accountsOf(submission.command) : []))
  const ids = [...runnable.flatMap((submission) => accountsOf(submission.command)), ...replayed]
  let locked: Map<number, Account>
  let setAside: Submission[] = []
  if (mode === 'wait') {
    locked = await tx.accounts.lock(ids)
  } else {
    const available = await tx.accounts.lockAvailable(ids)
    locked = available.locked
    setAside = runnable.filter((submission) => accountsOf(submission.command).some((id) => available.busy.has(id)))
    runnable = runnable.filter((submission) => !setAside.includes(submission))
    // Their keys are claimed again by the transaction they are set aside for.
    for (const submission of setAside) if (submission.idempotency) released.push(submission.idempotency.key)
  }

  // Pending transfers to resolve are locked after their accounts, which every writer of them holds first.
  const pendingIds = runnable.flatMap((submission) => pendingTransfersOf(submission.command))
  const pending = pendingIds.length > 0 ? await tx.transfers.lock(pendingIds) : new Map<string, Transfer>()

  const numbering = deps.ids
  const at = deps.clock.now()
  const batch = applyBatch(
    locked,
    runnable.map(({ command }) => (numbering ? renumbered(command, () => numbering.next()) : command)),
    at,
    pending,
  )
  const saved: { key: string; response: StoredResponse }[] = []
  const transfers: Transfer[] = []
  const events: LedgerEvent[] = []
  runnable.forEach((submission, i) => {
    const outcome = batch.outcomes[i] as Outcome
    transfers.push(...recordsOf(outcome))
    if (deps.events && outcome.kind !== 'refused') events.push(...eventsOf(outcome, eventContext(submission, deps.events, at)))
    const { idempotency } = submission
    const response = idempotency && isKept(outcome) ? idempotency.render(outcome) : undefined
    if (idempotency && response) saved.push({ key: idempotency.key, response })
    else if (idempotency) released.push(idempotency.key)
    results.set(
      submission,
      outcome.kind === 'refused'
        ? { error: outcome.error }
        : { settled: { kind: 'applied', outcome, ...(response ? { response } : {}) } },
    )
  })

  tx.accounts.write(batch.changes)
  tx.transfers.insert(transfers)
  tx.transfers.resolve(batch.resolved)
  tx.idempotencyKeys.save(saved)
  tx.idempotencyKeys.release(released)
  tx.outbox.append(events)
  const changed = new Map(batch.changes.map((change) => [change.after.id, change.after]))
  for (const id of replayed) {
    const account = locked.get(id)
    if (account && !changed.has(id)) changed.set(id, account)
  }
  return { results, setAside, accounts: [...changed.values()] }
}

function eventContext(submission: Submission, ids: IdGenerator, at: Date) {
  const { command, idempotency } = submission
  return {
    nextId: () => ids.next(),
    at,
    createdBy: command.kind === 'transfer-batch' ? (command.items[0]?.createdBy ?? null) : 'createdBy' in command ? (command.createdBy ?? null) : null,
    idempotencyKey: idempotency ? (idempotency.clientKey ?? idempotency.key) : null,
  }
}

/** Applied outcomes are always kept with their key; refusals when the error registry says so. */
function isKept(outcome: Outcome): boolean {
  if (outcome.kind !== 'refused') return true
  const code = codeOf(outcome.error)
  return code !== undefined && ERRORS[code].kept
}

export function isKeyed(submission: Submission): submission is Submission & { idempotency: Idempotency<Applied> } {
  return submission.idempotency !== undefined
}
