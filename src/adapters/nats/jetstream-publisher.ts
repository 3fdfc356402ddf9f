import { jetstreamManager } from '@nats-io/jetstream'
import { connect, createInbox, headers, type Msg, type MsgHdrs, nanos, type NatsConnection } from '@nats-io/transport-node'
import type { EventsConfig } from '../../config.js'
import type { EventPublisher, PendingEvent } from '../../ports/event-outbox.js'
import { publishSpan } from '../telemetry/publish-spans.js'

/** How long one publish waits for the stream's acknowledgement. */
const ACK_TIMEOUT_MS = 2_000

/** Events under one publish span. */
const EVENTS_PER_SPAN = 100

/** The stream's age limit when this publisher creates it; operators may set their own. */
const MAX_AGE_DAYS = 7

/**
 * Publishes events to a JetStream stream, each with its event id as `Nats-Msg-Id`, so the stream
 * drops a copy re-sent within its duplicate window. Connects on first use and creates the stream
 * when missing (over `<prefix>.>`, file storage, the configured duplicate window); a stream that
 * exists is used as it is. The messages of one call are sent in order on one connection, and the
 * call resolves once the stream has stored all of them. While NATS is down a call throws (after
 * the acknowledgement timeout, or at once when not connected) and the connection keeps trying to
 * come back by itself; a connection that gave up is made anew.
 *
 * It speaks JetStream's publish protocol itself: a plain publish with `Nats-Msg-Id` and
 * `Nats-Expected-Stream` headers, and, where an acknowledgement is wanted, a reply subject under
 * one inbox of this connection, whose single subscription takes every one (`{"stream","seq",
 * "duplicate"}` or `{"error"}`). nats.js's `js.publish` makes each message a request of its own
 * and cost four times the CPU (45–58 µs against 11 µs a message, measured on this machine).
 *
 * Once it has seen the stream store one of its messages as the newest, it chains the next ones
 * (sendChained): each expects its predecessor as the stream's newest message, and only the last
 * of a chunk asks to be acknowledged, which spares the stream an answer and this process a
 * message to read for all the others. Whenever a chain is not confirmed, the chunks from the
 * first unconfirmed one are sent again acknowledged one by one; the duplicate window drops the
 * copies the stream has already. `duplicates` is exact only for acknowledged sends: a confirmed
 * chain reports none (the case it stands for, a relay restarted before removing what it sent,
 * starts without a known newest message and so sends acknowledged), and a chain that broke
 * midway adds what it stored to the count of the resend.
 */
interface Connected {
  nc: NatsConnection
  /** Acknowledgements arrive at `<inbox>.<n>`; `n` names the message's waiter. */
  inbox: string
  waiting: Map<string, (ack: Msg) => void>
}

interface PubAck {
  stream?: string
  seq?: number
  duplicate?: boolean
  error?: { code?: number; description?: string }
}

export class JetStreamPublisher implements EventPublisher {
  private connection: Promise<Connected> | undefined
  private lastReply = 0
  /** The last event this publisher saw the stream store as its newest message; unknown at first and after a failure. */
  private tip: string | undefined

  constructor(private readonly settings: Pick<EventsConfig, 'natsUrl' | 'stream' | 'subjectPrefix' | 'duplicateWindowSeconds'>) {}

  async publish(events: readonly PendingEvent[]): Promise<{ duplicates: number }> {
    const connected = await this.connected()
    const { stream } = this.settings
    // A span per chunk: a span keeps at most 128 links (the SDK's default), one per writing transaction.
    const chunks: PendingEvent[][] = []
    for (let start = 0; start < events.length; start += EVENTS_PER_SPAN) chunks.push(events.slice(start, start + EVENTS_PER_SPAN))
    const tip = this.tip
    this.tip = undefined
    let resend = chunks
    if (tip !== undefined) {
      // Chained: each chunk is confirmed by the acknowledgement of its last message.
      const confirmed = await Promise.all(
        chunks.map((chunk, i) => publishSpan(stream, chunk, (carrier) => this.sendChained(connected, chunk, carrier, i === 0 ? tip : (chunks[i - 1]?.at(-1)?.eventId as string)))),
      )
      const unconfirmed = confirmed.indexOf(false)
      if (unconfirmed === -1) {
        this.tip = events.at(-1)?.eventId
        return { duplicates: 0 }
      }
      resend = chunks.slice(unconfirmed)
    }
    // Acknowledged one by one, sent in order (each chunk's messages are written before the next chunk's).
    const acked = await Promise.all(resend.map((chunk) => publishSpan(stream, chunk, (carrier) => this.sendAcked(connected, chunk, carrier))))
    if (acked.at(-1)?.lastStored) this.tip = events.at(-1)?.eventId
    return { duplicates: acked.reduce((sum, chunk) => sum + chunk.duplicates, 0) }
  }

  /**
   * Sends the chunk with each message expecting the one before it as the stream's newest
   * (`Nats-Expected-Last-Msg-Id`, the first expecting `previous`) and only the last asking for an
   * acknowledgement. The stream drops a message it has already (its id in the duplicate window)
   * and stores any other only right after the one it names, so the last one stored means every one
   * is, in order. Resolves false (never throws once sent) when that is not said: the last one a
   * duplicate, another publisher's message in between, a message lost on the way, a restarted
   * server that forgot its newest id, no answer in time; the caller then sends them acknowledged.
   */
  private async sendChained(connected: Connected, events: readonly PendingEvent[], carrier: Record<string, string>, previous: string): Promise<boolean> {
    let expected = previous
    const lastIndex = events.length - 1
    let ack: Promise<Msg> | undefined
    const keys: string[] = []
    const h = this.chunkHeaders(carrier)
    events.forEach((event, i) => {
      h.set('Nats-Expected-Last-Msg-Id', expected)
      ack = this.send(connected, event, h, i === lastIndex ? keys : undefined)
      expected = event.eventId
    })
    const [answer] = await this.acknowledged(connected, keys, ack ? [ack] : [])
    return answer !== undefined && !answer.error && answer.stream === this.settings.stream && !answer.duplicate
  }

  /** Sends the chunk with an acknowledgement asked for each message; throws unless every one is stored. */
  private async sendAcked(connected: Connected, events: readonly PendingEvent[], carrier: Record<string, string>): Promise<{ duplicates: number; lastStored: boolean }> {
    const keys: string[] = []
    const h = this.chunkHeaders(carrier)
    const answers = await this.acknowledged(
      connected,
      keys,
      events.map((event) => this.send(connected, event, h, keys) as Promise<Msg>),
    )
    let duplicates = 0
    for (const answer of answers) {
      if (!answer) throw new Error(`JetStream did not acknowledge ${events.length} events within ${ACK_TIMEOUT_MS} ms`)
      if (answer.error || answer.stream !== this.settings.stream) throw new Error(`JetStream refused an event: ${answer.error?.description ?? `stored in ${answer.stream}`}`)
      if (answer.duplicate) duplicates++
    }
    // The acknowledgement leaves `duplicate` out when false.
    return { duplicates, lastStored: answers.length > 0 && !answers.at(-1)?.duplicate }
  }

  /** The headers every message of a chunk has; `send` sets the message's own on it before each publish. */
  private chunkHeaders(carrier: Record<string, string>): MsgHdrs {
    const h = headers()
    h.set('Nats-Expected-Stream', this.settings.stream)
    for (const name in carrier) h.set(name, carrier[name] as string)
    return h
  }

  /**
   * Publishes one event with the chunk's headers `h` and its own `Nats-Msg-Id` (set on `h`: a
   * publish encodes the headers at once, so the next message may change them). With `keys`, asks
   * for its acknowledgement under a new key (pushed there) and returns it.
   */
  private send({ nc, inbox, waiting }: Connected, event: PendingEvent, h: MsgHdrs, keys?: string[]): Promise<Msg> | undefined {
    const { subjectPrefix } = this.settings
    h.set('Nats-Msg-Id', event.eventId)
    if (!keys) {
      nc.publish(`${subjectPrefix}.${event.subject}`, event.payload, { headers: h })
      return undefined
    }
    const key = String(++this.lastReply)
    keys.push(key)
    const acked = new Promise<Msg>((resolve) => waiting.set(key, resolve))
    nc.publish(`${subjectPrefix}.${event.subject}`, event.payload, { reply: `${inbox}.${key}`, headers: h })
    return acked
  }

  /** The answers to `acks`, in order, or undefined for each when they did not all come within ACK_TIMEOUT_MS. */
  private async acknowledged({ waiting }: Connected, keys: readonly string[], acks: readonly Promise<Msg>[]): Promise<(PubAck | undefined)[]> {
    let timer: NodeJS.Timeout | undefined
    const timedOut = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), ACK_TIMEOUT_MS)
    })
    try {
      const answers = await Promise.race([Promise.all(acks), timedOut])
      return answers ? answers.map(parseAck) : acks.map(() => undefined)
    } finally {
      clearTimeout(timer)
      for (const key of keys) waiting.delete(key)
    }
  }

  /** Closes the connection, once whatever it was sending has been sent. */
  async close(): Promise<void> {
    const pending = this.connection
    this.connection = undefined
    const open = await pending?.catch(() => undefined)
    await open?.nc.drain().catch(() => open.nc.close())
  }

  private connected(): Promise<Connected> {
    if (!this.connection) {
      const opening = this.open()
      this.connection = opening
      // A failed start is not kept: the next call tries again.
      opening.then(
        ({ nc }) => void nc.closed().then(() => this.connection === opening && (this.connection = undefined)),
        () => this.connection === opening && (this.connection = undefined),
      )
    }
    return this.connection
  }

  private async open(): Promise<Connected> {
    const { natsUrl, stream, subjectPrefix, duplicateWindowSeconds } = this.settings
    const nc = await connect({
      servers: natsUrl.split(',').map((server) => server.trim()),
      name: 'internal-transfers relay',
      timeout: ACK_TIMEOUT_MS,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 250,
    })
    try {
      const jsm = await jetstreamManager(nc)
      const exists = await jsm.streams.info(stream).then(
        () => true,
        () => false,
      )
      if (!exists) {
        await jsm.streams
          .add({
            name: stream,
            subjects: [`${subjectPrefix}.>`],
            duplicate_window: nanos(duplicateWindowSeconds * 1000),
            max_age: nanos(Math.max(MAX_AGE_DAYS * 86_400, duplicateWindowSeconds) * 1000),
          })
          // Another relay may have made it in the meantime.
          .catch(async (error: unknown) => {
            if (!(await jsm.streams.info(stream).then(() => true, () => false))) throw error
          })
      }
      const inbox = createInbox()
      const waiting = new Map<string, (ack: Msg) => void>()
      nc.subscribe(`${inbox}.*`, {
        callback: (_error, message) => {
          const key = message.subject.slice(inbox.length + 1)
          waiting.get(key)?.(message)
          waiting.delete(key)
        },
      })
      return { nc, inbox, waiting }
    } catch (error) {
      await nc.close()
      throw error
    }
  }
}

/** A PubAck, or the error a status message (503: no stream listens) stands for. */
function parseAck(message: Msg): PubAck {
  if (message.data.length === 0) return { error: { code: message.headers?.code ?? 0, description: message.headers?.description || 'no acknowledgement' } }
  try {
    return message.json<PubAck>()
  } catch {
    return { error: { description: 'an acknowledgement that is not JSON' } }
  }
}
