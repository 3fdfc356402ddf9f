import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { createServer } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { RedisContainer, type StartedRedisContainer } from '@testcontainers/redis'
import { Redis } from 'ioredis'
import { getContainerRuntimeClient } from 'testcontainers'

/** A Redis of the test's own that it can kill and bring back on the same port. */
export interface RedisServer {
  url: string
  description: string
  kill(): Promise<void>
  restart(): Promise<void>
  /** Makes the server stop answering for `ms` (it blocks in DEBUG SLEEP) while connections stay open. */
  stall(ms: number): Promise<void>
  stop(): Promise<void>
}

async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  await new Promise((resolve) => server.close(resolve))
  if (!address || typeof address === 'string') throw new Error('no free port')
  return address.port
}

async function waitForPing(url: string): Promise<void> {
  const deadline = Date.now() + 20_000
  for (;;) {
    const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null })
    client.on('error', () => {})
    const answer = await client.connect().then(() => client.ping(), () => undefined)
    client.disconnect()
    if (answer === 'PONG') return
    if (Date.now() > deadline) throw new Error(`redis at ${url} did not answer`)
    await sleep(50)
  }
}

/** Blocks the server for `ms`: it takes no command until DEBUG SLEEP returns. */
async function stall(url: string, ms: number): Promise<void> {
  const client = new Redis(url, { maxRetriesPerRequest: 0 })
  try {
    await client.call('DEBUG', 'SLEEP', String(ms / 1000))
  } finally {
    client.disconnect()
  }
}

function hasRedisBinary(): boolean {
  try {
    execFileSync('redis-server', ['--version'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

/**
 * A private redis-server process on a free port where the binary exists; otherwise a
 * testcontainers Redis bound to a fixed host port, so a replacement container can take its place.
 */
export async function startRedisServer(): Promise<RedisServer> {
  const port = await freePort()
  const url = `redis://127.0.0.1:${port}`
  if (hasRedisBinary()) {
    let child: ChildProcess | undefined
    const start = async () => {
      child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--enable-debug-command', 'local'], {
        stdio: 'ignore',
      })
      await waitForPing(url)
    }
    const kill = async () => {
      const exited = child && child.exitCode === null ? new Promise((resolve) => child?.once('exit', resolve)) : undefined
      child?.kill('SIGKILL')
      await exited
    }
    await start()
    return { url, description: `redis-server process on port ${port}`, kill, restart: start, stop: kill, stall: (ms) => stall(url, ms) }
  }

  await getContainerRuntimeClient() // throws a clear error when neither a binary nor a runtime exists
  let container: StartedRedisContainer | undefined
  const start = async () => {
    container = await new RedisContainer('redis:7')
      .withExposedPorts({ container: 6379, host: port })
      .withCommand(['redis-server', '--enable-debug-command', 'yes'])
      .start()
    await waitForPing(url)
  }
  const kill = async () => {
    await container?.stop()
  }
  await start()
  return { url, description: `testcontainers redis:7 on port ${port}`, kill, restart: start, stop: kill, stall: (ms) => stall(url, ms) }
}
