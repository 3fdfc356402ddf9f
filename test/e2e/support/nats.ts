import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { jetstreamManager } from '@nats-io/jetstream'
import { connect, type NatsConnection } from '@nats-io/transport-node'
import { freePort } from './service-process.js'

const ROOT = fileURLToPath(new URL('../../../', import.meta.url))

/** The machine's NATS with JetStream, shared by every test run: each test uses a stream and subjects of its own. */
export const SHARED_NATS_URL = process.env.TEST_NATS_URL ?? 'nats://127.0.0.1:4222'

/** Service environment for events into a stream of the test's own, on `natsUrl`. */
export function eventsEnv(label: string, natsUrl = SHARED_NATS_URL): Record<string, string> {
  const tag = `${label.replace(/\W/g, '_')}_${randomBytes(4).toString('hex')}`
  return { NATS_URL: natsUrl, NATS_STREAM: `E2E_${tag}`, NATS_SUBJECT_PREFIX: `e2e.${tag}`, EVENTS_RELAY_POLL_MS: '20' }
}

export interface StoredEvent {
  seq: number
  subject: string
  headers: Record<string, string>
  body: any
}

/** A connection to inspect streams with; close it after. */
export async function inspector(natsUrl: string): Promise<{ nc: NatsConnection; events(stream: string): Promise<StoredEvent[]>; count(stream: string): Promise<number>; remove(stream: string): Promise<void>; close(): Promise<void> }> {
  const nc = await connect({ servers: natsUrl, maxReconnectAttempts: -1, reconnectTimeWait: 100 })
  const jsm = await jetstreamManager(nc)
  const count = (stream: string) => jsm.streams.info(stream).then((info) => info.state.messages, () => 0)
  return {
    nc,
    count,
    /** Every message in the stream, in stream order. */
    events: async (stream) => {
      const info = await jsm.streams.info(stream)
      const stored: StoredEvent[] = []
      for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq++) {
        const message = await jsm.streams.getMessage(stream, { seq })
        if (!message) continue
        const headers: Record<string, string> = {}
        for (const [name, values] of message.header ?? []) headers[name] = values[0] ?? ''
        stored.push({ seq, subject: message.subject, headers, body: message.json() })
      }
      return stored
    },
    remove: (stream) => jsm.streams.delete(stream).then(() => undefined, () => undefined),
    close: () => nc.close(),
  }
}

/** Resolves once `check` is true, polling; throws with `what` after `ms`. */
export async function eventually(what: string, check: () => Promise<boolean>, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await sleep(50)
  }
}

/**
 * Checks what every consumer of the stream relies on: each account's events come in the order of
 * its changes (its version grows by exactly one from one event to the next, from 0 at opening).
 * Returns each account's last state.
 */
export function lastStates(events: readonly StoredEvent[]): Map<number, { balance: string; version: number }> {
  const last = new Map<number, { balance: string; version: number }>()
  for (const { body } of events) {
    const states = body.type === 'account.opened' ? [body.account] : [body.source, body.destination]
    for (const state of states) {
      const before = last.get(state.account_id)
      const expected = before ? before.version + 1 : 0
      if (state.version !== expected) throw new Error(`account ${state.account_id}: version ${state.version} after ${before?.version}, event ${body.id}`)
      last.set(state.account_id, { balance: state.balance, version: state.version })
    }
  }
  return last
}

/** A nats-server of the test's own (JetStream on, a store directory of its own), which it can kill and bring back on the same port. */
export interface NatsServer {
  url: string
  kill(): Promise<void>
  restart(): Promise<void>
  stop(): Promise<void>
}

export async function startNatsServer(): Promise<NatsServer> {
  const port = await freePort()
  const url = `nats://127.0.0.1:${port}`
  const store = mkdtempSync(join(tmpdir(), 'e2e-nats-'))
  let child: ChildProcess | undefined
  const start = async () => {
    child = spawn(process.env.NATS_SERVER_BIN ?? 'nats-server', ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', store], { stdio: 'ignore' })
    const deadline = Date.now() + 20_000
    for (;;) {
      const nc = await connect({ servers: url, maxReconnectAttempts: 0 }).catch(() => undefined)
      if (nc) {
        const ready = await jetstreamManager(nc).then(() => true, () => false)
        await nc.close()
        if (ready) return
      }
      if (Date.now() > deadline) throw new Error(`nats-server on ${port} did not start`)
      await sleep(50)
    }
  }
  const kill = async () => {
    if (!child || child.exitCode !== null || child.signalCode !== null) return
    const exited = once(child, 'exit')
    child.kill('SIGKILL')
    await exited
  }
  await start()
  return {
    url,
    kill,
    restart: start,
    stop: async () => {
      await kill()
      rmSync(store, { recursive: true, force: true })
    },
  }
}

/** `npm run relay` as a process of the test's own (dist/ is built by the global setup). */
export interface RelayProcess {
  child: ChildProcess
  output(): string
  /** SIGKILL, unless it has exited. */
  kill(): Promise<void>
  /** SIGTERM, and waits for the exit. */
  stop(): Promise<number | null>
}

export async function spawnRelay(env: Record<string, string>): Promise<RelayProcess> {
  const child = spawn(process.execPath, ['--import', './dist/adapters/telemetry/register.js', 'dist/main.js', 'relay'], {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: 'info', OTEL_EXPORTER_PROMETHEUS_HOST: '127.0.0.1', OTEL_EXPORTER_PROMETHEUS_PORT: String(await freePort()), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()))
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()))
  const exited = once(child, 'exit').then(([code]) => code as number | null)
  const deadline = Date.now() + 30_000
  while (!output.includes('event relay started')) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL')
      throw new Error(`relay did not start:\n${output}`)
    }
    await sleep(50)
  }
  return {
    child,
    output: () => output,
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
      await exited
    },
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
      return exited
    },
  }
}
