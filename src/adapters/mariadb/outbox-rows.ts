import type { PendingEvent } from '../../ports/event-outbox.js'

/**
 * The `messages` column of an outbox row: the events of one transaction in order, one line each,
 * `<event id> <subject> <JSON>`. Neither ids nor NATS subjects hold spaces, and JSON.stringify
 * writes no line breaks, so the first two spaces of a line end its id and subject and the rest
 * is the payload as it is published.
 */
export function encodeMessages(events: readonly { id: string; subject: string; payload: string }[]): string {
  return events.map(({ id, subject, payload }) => `${id} ${subject} ${payload}`).join('\n')
}

const NEWLINE = 0x0a
const SPACE = 0x20

/**
 * The events of a `messages` column read as bytes (UTF-8). Payloads are views into `messages`,
 * not copies: the relay hands them to NATS as they are. Ids and subjects are ASCII.
 */
export function decodeMessages(messages: Buffer, traceContext: string | null): PendingEvent[] {
  const events: PendingEvent[] = []
  for (let start = 0; start <= messages.length; ) {
    const found = messages.indexOf(NEWLINE, start)
    const end = found === -1 ? messages.length : found
    const idEnd = messages.indexOf(SPACE, start)
    const subjectEnd = idEnd === -1 ? -1 : messages.indexOf(SPACE, idEnd + 1)
    if (idEnd <= start || subjectEnd <= idEnd + 1 || subjectEnd >= end) throw new Error('an outbox row that is not `<id> <subject> <payload>` lines')
    events.push({
      eventId: messages.toString('latin1', start, idEnd),
      subject: messages.toString('latin1', idEnd + 1, subjectEnd),
      payload: messages.subarray(subjectEnd + 1, end),
      traceContext,
    })
    start = end + 1
  }
  return events
}
