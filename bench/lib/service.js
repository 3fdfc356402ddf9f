// @ts-check
// Starts the built service as `npm start` does (same node arguments) for a load run and reads its
// peak memory. Tracing follows the OTEL_* variables of the caller's environment.
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'

const ROOT = new URL('../..', import.meta.url).pathname

/** The node arguments of `npm start`, so the harness measures exactly what users run. */
function startArguments() {
  const { scripts } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'))
  const [command, ...args] = String(scripts.start).split(/\s+/)
  if (command !== 'node') throw new Error(`expected "npm start" to run node, got: ${scripts.start}`)
  return args
}

/** A port that was free a moment ago. */
export async function freePort() {
  const server = createServer()
  await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(undefined)))
  const address = server.address()
  await new Promise((resolve) => server.close(resolve))
  if (!address || typeof address === 'string') throw new Error('no port')
  return address.port
}

/**
 * Starts `script`, or by default the built service with the arguments of `npm start`, on a free
 * port (and its metrics on another) and waits for its /readyz.
 * @param {{ env?: Record<string, string>, script?: string }} options
 */
export async function startService({ env = {}, script = undefined }) {
  const [port, metricsPort] = [await freePort(), await freePort()]
  const child = spawn(process.execPath, script ? [script] : startArguments(), {
    cwd: ROOT,
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', OTEL_EXPORTER_PROMETHEUS_PORT: String(metricsPort), ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  })
  const url = `http://127.0.0.1:${port}`
  const deadline = Date.now() + 30_000
  while (!(await fetch(`${url}/readyz`).then((r) => r.ok, () => false))) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error('the service did not become ready')
    await sleep(100)
  }
  return {
    url,
    metricsUrl: `http://127.0.0.1:${metricsPort}/metrics`,
    pid: child.pid,
    /** Peak resident set size (VmHWM) of the service process, in MB. */
    peakRssMb: () => peakRssMb(child.pid),
    stop: async () => {
      if (child.exitCode !== null) return
      const exited = new Promise((resolve) => child.once('exit', resolve))
      child.kill('SIGTERM')
      await Promise.race([exited, sleep(15_000)])
      if (child.exitCode === null) child.kill('SIGKILL')
    },
  }
}

/** @param {number | undefined} pid */
export function peakRssMb(pid) {
  if (!pid) return undefined
  try {
    const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return match ? Math.round(Number(match[1]) / 1024) : undefined
  } catch {
    return undefined
  }
}
