import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { readFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { type CacheSettings, loadConfig } from '../../../src/config.js'
import { removeKeys } from './redis-keys.js'

const ROOT = fileURLToPath(new URL('../../../', import.meta.url))

/**
 * The arguments `npm start` gives node, read from package.json so the tests run exactly what it
 * runs (the build step aside: the e2e global setup builds dist/ once).
 */
function startArguments(): string[] {
  const { scripts } = JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as { scripts: { start: string } }
  const [command, ...args] = scripts.start.split(/\s+/)
  if (command !== 'node') throw new Error(`expected "npm start" to run node, got: ${scripts.start}`)
  return args
}

/** A TCP port that was free a moment ago. */
export async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}

/**
 * The Redis and key prefix the service derives from `env` (REDIS_KEY_PREFIX, else the database
 * name), by its own rule; none when it would refuse the configuration, as it then writes nothing.
 */
function cacheOf(env: Record<string, string | undefined>): CacheSettings | undefined {
  try {
    return loadConfig(env).cache
  } catch {
    return undefined
  }
}

export interface ServiceProcess {
  child: ChildProcess
  baseUrl: string
  /** Everything the process wrote so far, stdout and stderr. */
  output(): string
  /** The JSON log lines among the output. */
  logLines(): Record<string, unknown>[]
  /** The exit code, once the process has exited and its keys are removed from the machine's Redis. */
  exited: Promise<number | null>
  /** Kills the process (SIGKILL) unless it has exited already; resolves as `exited`. */
  stop(): Promise<number | null>
}

/**
 * Starts the service as `npm start` does, on a free port, and waits for its "listening" log line.
 * It uses the machine's Redis (REDIS_URL or its default); the key prefix follows the database name,
 * and the keys under it are removed when the process exits, as the tests drop its database. Its
 * metrics endpoint gets a free port too (OTEL_EXPORTER_PROMETHEUS_PORT), unless `env` names one:
 * services started side by side must not compete for 9464. Authentication is off (AUTH=off) unless
 * `env` sets AUTH: the processes' tests are about start-up, drain and traces; auth.test.ts and
 * rate-limits.test.ts start processes with keys.
 */
export async function spawnService(env: Record<string, string>): Promise<ServiceProcess> {
  const serviceEnv = {
    ...process.env,
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
    OTEL_EXPORTER_PROMETHEUS_HOST: '127.0.0.1',
    OTEL_EXPORTER_PROMETHEUS_PORT: String(await freePort()),
    AUTH: 'off',
    // Events off unless the test names a NATS (and a stream of its own): see nats.ts.
    NATS_URL: '',
    ...env,
  }
  const child = spawn(process.execPath, startArguments(), { cwd: ROOT, env: serviceEnv, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()))
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()))
  const cache = cacheOf(serviceEnv)
  const exited = once(child, 'exit').then(async ([code]) => {
    if (cache) await removeKeys(cache.url, cache.keyPrefix)
    return code as number | null
  })
  const stop = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    return exited
  }
  const logLines = () =>
    output
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>)
  const deadline = Date.now() + 30_000
  for (;;) {
    const match = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(output)
    if (match?.[1]) return { child, baseUrl: match[1], output: () => output, logLines, exited, stop }
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop()
      throw new Error(`service did not start:\n${output}`)
    }
    await sleep(50)
  }
}
