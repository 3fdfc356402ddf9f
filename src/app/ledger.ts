import type { Applied, AppliedOutcomeOf, Command } from '../domain/batch.js'
import type { AccountCache } from '../ports/account-cache.js'
import type { BatchScope } from '../ports/batch-scope.js'
import type { Clock } from '../ports/clock.js'
import type { IdGenerator } from '../ports/id-generator.js'
import { LockConflict, StoreOutcomeUnknown, StoreUnavailable } from '../ports/errors.js'
import type { UnitOfWork } from '../ports/unit-of-work.js'
import { Batcher, type BatchLimits } from './batcher.js'
import { IdempotencyKeyInUse } from './errors.js'
import type { Idempotency } from './idempotency.js'
import { isKeyed, type LockMode, type Settled, type Submission, writeBatch } from './write-batch.js'

export type { Settled } from './write-batch.js'

/**
 * The one write path: applies `command` in the next batch and resolves once that batch has
 * committed and the accounts it changed are refreshed in the cache, so the caller's next read
 * sees at least this change. A keyed command whose key committed before is answered with the
 * saved answer instead. Throws the command's refusal (a DomainError), IdempotencyKeyReused,
 * IdempotencyKeyInUse, StoreUnavailable (nothing changed) or StoreOutcomeUnknown.
 */
export type Ledger = <C extends Command>(
  command: C,
  idempotency?: Idempotency<AppliedOutcomeOf<C>>,
) => Promise<Settled<AppliedOutcomeOf<C>>>

export interface RetryPolicy {
  /** Transactions a batch may spend on lock conflicts before its requests are answered 503. */
  attempts: number
  /**
   * Transactions a batch may spend when it deadlocks or is aborted (on a Galera cluster: a
   * certification conflict with another node's commit), if more than `attempts`. Such a retry
   * waits for no lock, so a larger budget keeps the bounds.
   */
  conflictAttempts?: number
  /** Upper bound of the random pause before an attempt after a deadlock, doubled each time. */
  baseDelayMs: number
  /** The doubling stops here. */
  maxDelayMs?: number
}

/** What became of one batch, for logs and metrics. */
export interface BatchReport {
  size: number
  /** Transactions run, the first included; isolated requests count one each. */
  transactions: number
  conflicts: Record<LockConflict['reason'], number>
  /** Requests run alone after the batch failed for a reason none of its lock conflicts explains. */
  isolated: number
  /** Requests set aside because an account they needed stayed locked by another transaction. */
  setAside: number
  /** From leaving the queue to the last answer. */
  durationMs: number
}

export interface LedgerDeps {
  unitOfWork: UnitOfWork
  cache: AccountCache
  clock: Clock
  scope: BatchScope
  /** How long an idempotency key is kept at least. */
  retentionMs: number
  /** Ids for the events written to the outbox with each change; undefined: events are off, nothing is written. */
  events?: IdGenerator | undefined
  /**
   * Makes the ids of the records as each batch is applied, after its locks: ids that increase
   * then follow every account's order of application (see `renumbered`). Without it, the ids the
   * commands carry are kept.
   */
  ids?: IdGenerator
  batching: BatchLimits
  retry: RetryPolicy
  /**
   * How long a command may take, from its submission to its answer, waits for a turn, a
   * connection, locks and retries included; past it, it is answered StoreUnavailable (nothing
   * changed) or, if its COMMIT was under way, StoreOutcomeUnknown. Without it, only the unit of
   * work's own bounds apply.
   */
  deadlineMs?: number
  observe?: (report: BatchReport) => void
}

/**
 * Builds the write path: a batcher whose every batch is one transaction (see writeBatch), with
 * the rules that keep a batch's failure from becoming its innocent requests' failure:
 * - a deadlock, or a transaction the database aborted, runs the batch again after a short random
 *   pause, up to `retry.conflictAttempts` transactions (`retry.attempts` at least);
 * - a lock wait that runs out on an account runs the batch again without waiting for busy
 *   accounts: the requests that need them are set aside and run once more on their own, waiting;
 * - a lock wait that runs out on an idempotency key (another instance runs a request with it)
 *   runs each keyed request alone, where the one whose key is held answers 409;
 * - any other failure of a batch of several runs each request alone, so only the request that
 *   causes it fails;
 * - a lost commit answer (StoreOutcomeUnknown) and an unreachable database (StoreUnavailable)
 *   answer every request of the batch with that error: only a keyed retry can tell the former.
 * Within this process, requests with the same idempotency key run one after the other: the
 * second finds the first's answer committed (a replay) or the key free again.
 */
/** How a lane's batch locks: a write-batch mode, or the waiting lane's free accounts first, then a wait for the rest. */
type LaneMode = LockMode | 'free-first'

export function createLedger(deps: LedgerDeps): Ledger {
  /** Transactions a batch may spend on deadlocks, aborts and certification conflicts. */
  const conflictBudget = Math.max(deps.retry.attempts, deps.retry.conflictAttempts ?? 0)
  /** One batch from its lane: its first transaction is attempt `attempt`, in `mode`. */
  const execute = async (batch: Submission[], attempt: number, mode: LaneMode): Promise<void> => {
    const report: BatchReport = {
      size: batch.length,
      transactions: 0,
      conflicts: { deadlock: 0, 'lock-wait': 0, aborted: 0 },
      isolated: 0,
      setAside: 0,
      durationMs: 0,
    }
    const started = performance.now()
    try {
      await deps.scope.enter(
        batch.map((submission) => submission.context),
        () => write(batch, attempt, mode, report),
      )
    } catch (error) {
      // A bug, not an outcome: nobody may wait forever for it. Settled submissions ignore this.
      for (const submission of batch) submission.reject(error)
    }
    report.durationMs = performance.now() - started
    deps.observe?.(report)
  }

  const write = async (all: readonly Submission[], attempt: number, wanted: LaneMode, report: BatchReport): Promise<void> => {
    const submissions = withinDeadline(all)
    if (submissions.length === 0) return
    // Too little time left to wait for a lock: take what is free, and answer the rest as still locked.
    // The waiting lane takes what is free first when it has several requests to hold apart.
    const lane: LockMode = wanted === 'free-first' ? (submissions.length > 1 ? 'skip-busy' : 'wait') : wanted
    const mode: LockMode = timeLeft(submissions) < LOCK_WAIT_MIN_MS ? 'skip-busy' : lane
    report.transactions++
    let written: Awaited<ReturnType<typeof writeBatch>>
    try {
      // The earliest deadline of the batch bounds its transaction.
      const deadline = Math.min(...submissions.map((submission) => submission.deadline ?? Number.POSITIVE_INFINITY))
      written = await deps.unitOfWork.run(
        (tx) => writeBatch(tx, submissions, mode, deps),
        Number.isFinite(deadline) ? { deadline } : {},
      )
    } catch (error) {
      return recover(submissions, attempt, mode, report, error)
    }
    // Only after the commit: a refresh before it could publish a balance that then rolls back.
    // The requests are answered once it has landed (or failed), so each 201 is followed by reads
    // of at least its balances; the batch's slot does not wait for it, as the next transaction
    // has no need to: refreshes are versioned, and a later one never loses to an earlier one.
    const answer = () => {
      for (const [submission, result] of written.results) {
        if ('settled' in result) submission.resolve(result.settled)
        else submission.reject(result.error)
      }
    }
    // The cache never throws; should it, the requests are still answered: they are committed.
    void deps.cache.put(written.accounts).then(answer, answer)
    if (written.setAside.length === 0) return
    report.setAside += written.setAside.length
    // A batch may be far into its conflict budget (certification conflicts on Galera) when it finds
    // rows busy: what it sets aside is then judged by that budget, not by the lock-wait one.
    if (attempt >= conflictBudget || timeLeft(written.setAside) < LOCK_WAIT_MIN_MS) {
      for (const submission of written.setAside) submission.reject(stillLocked(attempt))
      return
    }
    // In the waiting lane, what is still busy now waits, on its own: what was free has committed.
    if (wanted === 'free-first') return write(written.setAside, attempt, 'wait', report)
    for (const submission of written.setAside) {
      // Set aside for the first time: most such accounts are busy only for this process's other
      // batch in flight, so the request tries the first lane once more rather than queue in the
      // waiting lane behind requests that wait seconds for an account locked elsewhere.
      if (!setAsideOnce.has(submission)) {
        setAsideOnce.add(submission)
        if (!batcher.offer(submission)) submission.reject(new StoreUnavailable('Too many writes are waiting for the database', { reason: 'overloaded' }))
        continue
      }
      // Then they wait for their accounts in a lane of their own, so that this batch's slot is free at once.
      if (!waiting.offer(submission)) submission.reject(new StoreUnavailable('Too many writes are waiting for locked accounts', { reason: 'contended' }))
    }
  }

  const recover = async (
    submissions: readonly Submission[],
    attempt: number,
    mode: LaneMode,
    report: BatchReport,
    error: unknown,
  ): Promise<void> => {
    if (error instanceof StoreUnavailable || error instanceof StoreOutcomeUnknown) {
      for (const submission of submissions) submission.reject(error)
      return
    }
    if (error instanceof LockConflict) {
      report.conflicts[error.reason]++
      if (error.reason === 'lock-wait' && error.on === 'idempotency-key') {
        if (submissions.length === 1) {
          submissions[0]?.reject(new IdempotencyKeyInUse('A request with this Idempotency-Key is still running', { cause: error }))
          return
        }
        // Which key is held elsewhere is not known: each keyed request claims alone, the rest go on together.
        const plain = submissions.filter((submission) => !isKeyed(submission))
        await Promise.all([
          ...submissions.filter(isKeyed).map((submission) => write([submission], attempt + 1, mode, report)),
          ...(plain.length > 0 ? [write(plain, attempt + 1, mode, report)] : []),
        ])
        return
      }
      const budget = error.reason === 'lock-wait' ? deps.retry.attempts : conflictBudget
      // A lone request retries waiting for its lock again, which needs a whole second.
      const needed = error.reason === 'lock-wait' && submissions.length === 1 ? LOCK_WAIT_MIN_MS : MIN_TIME_LEFT_MS
      if (attempt >= budget || timeLeft(submissions) < needed) {
        for (const submission of submissions) submission.reject(stillLocked(attempt, error))
        return
      }
      if (error.reason === 'lock-wait') return write(submissions, attempt + 1, submissions.length > 1 ? 'skip-busy' : 'wait', report)
      // Full jitter, so the transactions that collided do not collide again in step.
      const delayMs = Math.min(deps.retry.baseDelayMs * 2 ** (attempt - 1), deps.retry.maxDelayMs ?? Number.POSITIVE_INFINITY)
      await new Promise((resolve) => setTimeout(resolve, Math.min(Math.random() * delayMs, timeLeft(submissions))))
      return write(submissions, attempt + 1, mode, report)
    }
    if (submissions.length === 1) {
      submissions[0]?.reject(error)
      return
    }
    // Something one request carries may be what fails the statement: each runs alone, in turn.
    report.isolated += submissions.length
    for (const submission of submissions) await write([submission], attempt, mode, report)
  }

  /** The submissions with time left; the others are answered now, before anything runs for them. */
  const withinDeadline = (submissions: readonly Submission[]): Submission[] => {
    const now = performance.now()
    const live = submissions.filter((submission) => submission.deadline === undefined || submission.deadline - now >= MIN_TIME_LEFT_MS)
    for (const submission of submissions) {
      if (!live.includes(submission)) submission.reject(new StoreUnavailable('The request deadline passed before the database took the write', { reason: 'overloaded' }))
    }
    return live
  }

  // Two lanes. A batch first locks only the accounts no other transaction holds (SKIP LOCKED), so
  // that an account locked elsewhere, even for long, never holds up a batch that carries it: the
  // requests that need a busy account are set aside: to the first lane once more, then into the
  // waiting lane. There a batch again first takes what is free by now, and only the requests still
  // blocked then wait for their locks (attempt 2, then the rules of recover): a request busy for a
  // moment is not held behind one whose account is locked for seconds. Each lane has its own slots.
  const batcher = new Batcher((batch: Submission[]) => execute(batch, 1, 'skip-busy'), deps.batching)
  /** Requests the first lane has set aside once already: the next time, they go to the waiting lane. */
  const setAsideOnce = new WeakSet<Submission>()
  const waiting = new Batcher((batch: Submission[]) => execute(batch, 2, 'free-first'), deps.batching)
  const enqueue = (command: Command, idempotency: Idempotency<Applied> | undefined, deadline: number | undefined) =>
    new Promise<Settled<Applied>>((resolve, reject) => {
      const submission: Submission = { command, idempotency, context: deps.scope.capture(), resolve, reject, ...(deadline === undefined ? {} : { deadline }) }
      if (!batcher.offer(submission)) reject(new StoreUnavailable('Too many writes are waiting for the database', { reason: 'overloaded' }))
    })

  // Keys with a request queued or running in this process; a second request with one waits its turn.
  const running = new Map<string, Promise<unknown>>()
  const submit = async (command: Command, idempotency?: Idempotency<Applied>): Promise<Settled<Applied>> => {
    const deadline = deps.deadlineMs === undefined ? undefined : performance.now() + deps.deadlineMs
    if (!idempotency) return enqueue(command, undefined, deadline)
    // The request it waits for has an earlier deadline, so this wait is bounded too.
    for (let held = running.get(idempotency.key); held; held = running.get(idempotency.key)) await held.catch(() => {})
    const settled = enqueue(command, idempotency, deadline)
    running.set(idempotency.key, settled)
    try {
      return await settled
    } finally {
      if (running.get(idempotency.key) === settled) running.delete(idempotency.key)
    }
  }
  // The batch carries commands of every kind; each caller gets the outcome of the kind it sent.
  return submit as Ledger
}

function stillLocked(attempts: number, cause?: unknown): StoreUnavailable {
  return new StoreUnavailable(`Lock conflict persisted after ${attempts} attempts`, { cause, reason: 'contended' })
}

/** Below this, a transaction could not even be sent and answered: the submission is answered at once. */
const MIN_TIME_LEFT_MS = 20
/**
 * A lock wait is whole seconds (innodb_lock_wait_timeout), and the unit of work keeps 200 ms of
 * the deadline to spare: with less left than this, a wait for a lock would only run out.
 */
const LOCK_WAIT_MIN_MS = 1200

/** Milliseconds until the earliest deadline of `submissions` (infinite without one). */
function timeLeft(submissions: readonly Submission[]): number {
  return Math.min(...submissions.map((submission) => (submission.deadline ?? Number.POSITIVE_INFINITY) - performance.now()))
}
