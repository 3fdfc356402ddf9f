import type { Logger } from 'pino'
import type { RelayEvents } from '../../app/relay-events.js'
import type { OutboxClaim } from '../../ports/event-outbox.js'

export interface RelayLoopOptions {
  /** Pause after a round that found fewer rows (or another relay holding the outbox). */
  pollMs: number
  /** Longest pause after failed rounds; pauses double from 100 ms up to it, with jitter. */
  maxBackoffMs?: number
  /** A lag above this is logged as a warning (at most every `logEveryMs`). */
  lagWarningMs?: number
  logEveryMs?: number
  logger: Logger
  observe?: (claim: OutboxClaim) => void
  onFailure?: (error: unknown) => void
}

export interface RelayLoop {
  /**
   * Stops polling; first runs rounds until the outbox is empty, a round fails, or `drainMs` has
   * passed, so events of the requests answered before shutdown leave with this process.
   */
  stop(drainMs?: number): Promise<void>
}

/**
 * Runs the relay until stopped: rounds back to back while each leaves events behind (its limit
 * reached), a pause when one does not, and a doubling pause (with jitter, up to `maxBackoffMs`)
 * while they fail, e.g. with NATS or MariaDB down. Failures are logged once when they start, then at most every `logEveryMs`,
 * and the recovery once; a lag above `lagWarningMs` is logged likewise.
 */
export function startRelayLoop(relay: RelayEvents, options: RelayLoopOptions): RelayLoop {
  const { logger, pollMs, maxBackoffMs = 5_000, lagWarningMs = 10_000, logEveryMs = 30_000 } = options
  let stopping = false
  let wake: (() => void) | undefined
  let failures = 0
  let lastFailureLog = 0
  let lastLagLog = 0

  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms)
      wake = () => {
        clearTimeout(timer)
        resolve()
      }
    })

  const round = async (): Promise<OutboxClaim | undefined> => {
    try {
      const claim = await relay()
      options.observe?.(claim)
      if (failures > 0) logger.info({ failedRounds: failures }, 'event relay publishing again')
      failures = 0
      if (claim.duplicates > 0) logger.info({ duplicates: claim.duplicates }, 're-sent events dropped by the stream as duplicates (a relay stopped before removing them)')
      const now = Date.now()
      if (claim.lagMs > lagWarningMs && now - lastLagLog > logEveryMs) {
        lastLagLog = now
        logger.warn({ lagMs: Math.round(claim.lagMs) }, 'events are behind: the oldest unpublished event is this old')
      }
      return claim
    } catch (error) {
      failures++
      options.onFailure?.(error)
      const now = Date.now()
      if (failures === 1 || now - lastFailureLog > logEveryMs) {
        lastFailureLog = now
        logger.warn({ err: error, failedRounds: failures }, 'event relay cannot publish; the events stay in the outbox and are retried')
      }
      return undefined
    }
  }

  const loop = (async () => {
    while (!stopping) {
      const claim = await round()
      if (stopping) break
      if (!claim) await pause(Math.random() * Math.min(maxBackoffMs, 100 * 2 ** Math.min(failures, 16)))
      else if (!claim.more) await pause(pollMs)
    }
  })()

  return {
    stop: async (drainMs = 0) => {
      stopping = true
      wake?.()
      await loop
      const deadline = Date.now() + drainMs
      while (Date.now() < deadline) {
        const claim = await round()
        if (!claim || (claim.held && claim.published === 0)) break
        if (!claim.held) await pause(pollMs)
      }
    },
  }
}
