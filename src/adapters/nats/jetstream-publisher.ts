import { jetstream, jetstreamManager, type JetStreamClient } from '@nats-io/jetstream'
import { connect, headers, nanos, type NatsConnection } from '@nats-io/transport-node'
import type { EventsConfig } from '../../config.js'
import type { EventPublisher, PendingEvent } from '../../ports/event-outbox.js'
import { publishSpan } from '../telemetry/publish-spans.js'

/** How long one publish waits for the stream's acknowledgement. */
const ACK_TIMEOUT_MS = 2_000

/** The stream's age limit when this publisher creates it; operators may set their own. */
const MAX_AGE_DAYS = 7

/**
 * Publishes events to a JetStream stream, each with its event id as `Nats-Msg-Id`, so the stream
 * drops a copy re-sent within its duplicate window. Connects on first use and creates the stream
 * when missing (over `<prefix>.>`, file storage, the configured duplicate window); a stream that
 * exists is used as it is. The messages of one call are sent in order on one connection, without
 * waiting for each acknowledgement, and the call resolves once all are acknowledged. While NATS
 * is down a call throws (after the acknowledgement timeout, or at once when not connected) and
 * the connection keeps trying to come back by itself; a connection that gave up is made anew.
 */
export class JetStreamPublisher implements EventPublisher {
  private connection: Promise<{ nc: NatsConnection; js: JetStreamClient }> | undefined

  constructor(private readonly settings: Pick<EventsConfig, 'natsUrl' | 'stream' | 'subjectPrefix' | 'duplicateWindowSeconds'>) {}

  async publish(events: readonly PendingEvent[]): Promise<{ duplicates: number }> {
    const { js } = await this.connected()
    const { stream, subjectPrefix } = this.settings
    return publishSpan(stream, events, async (carrier) => {
      const acks = await Promise.all(
        events.map((event) => {
          const h = headers()
          for (const [name, value] of Object.entries(carrier)) h.set(name, value)
          return js.publish(`${subjectPrefix}.${event.subject}`, event.payload, {
            msgID: event.eventId,
            headers: h,
            timeout: ACK_TIMEOUT_MS,
            expect: { streamName: stream },
          })
        }),
      )
      return { duplicates: acks.filter((ack) => ack.duplicate).length }
    })
  }

  /** Closes the connection, once whatever it was sending has been sent. */
  async close(): Promise<void> {
    const pending = this.connection
    this.connection = undefined
    const open = await pending?.catch(() => undefined)
    await open?.nc.drain().catch(() => open.nc.close())
  }

  private connected(): Promise<{ nc: NatsConnection; js: JetStreamClient }> {
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

  private async open(): Promise<{ nc: NatsConnection; js: JetStreamClient }> {
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
      return { nc, js: jetstream(nc) }
    } catch (error) {
      await nc.close()
      throw error
    }
  }
}
