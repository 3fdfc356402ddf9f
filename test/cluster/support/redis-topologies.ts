import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { promisify } from 'node:util'
import { Redis } from 'ioredis'
import { freePort } from '../../e2e/support/service-process.js'

const run = promisify(execFile)

/** redis-server processes of the test's own, stopped by their pid. */
class Processes {
  private readonly children = new Map<number, ChildProcess>()

  start(args: string[]): ChildProcess {
    const child = spawn('redis-server', args, { stdio: 'ignore' })
    this.children.set(child.pid as number, child)
    return child
  }

  async kill(child: ChildProcess): Promise<void> {
    if (child.exitCode !== null || child.signalCode !== null) return
    const exited = new Promise((resolve) => child.once('exit', resolve))
    child.kill('SIGKILL')
    await exited
  }

  async stopAll(): Promise<void> {
    for (const child of this.children.values()) await this.kill(child)
  }
}

async function answer(port: number, ...command: string[]): Promise<string> {
  const client = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null })
  client.on('error', () => {})
  try {
    await client.connect()
    return String(await client.call(command[0] as string, ...command.slice(1)))
  } catch {
    return ''
  } finally {
    client.disconnect()
  }
}

async function until(what: string, probe: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMs} ms`)
    await sleep(100)
  }
}

async function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer()
    server.once('error', () => resolve(false))
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)))
  })
}

/** Ports whose cluster bus port (port + 10000) is free too, and below 65536. */
async function clusterPorts(count: number): Promise<number[]> {
  const ports: number[] = []
  while (ports.length < count) {
    const port = 15_000 + Math.floor(Math.random() * 10_000)
    if (!ports.includes(port) && (await isFree(port)) && (await isFree(port + 10_000))) ports.push(port)
  }
  return ports
}

const serverArgs = (port: number, dir: string) => ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir]

/** A master, one replica and three sentinels (quorum 2) watching them as "transfers-cache". */
export interface SentinelSetup {
  url: string
  name: string
  /** The port of the Redis the sentinels name master now. */
  masterPort(): Promise<number>
  /** SIGKILLs the master and waits until the sentinels have promoted the replica. */
  killMaster(): Promise<number>
  stop(): Promise<void>
}

export async function startSentinels(): Promise<SentinelSetup> {
  const dir = await mkdtemp(join(tmpdir(), 'redis-sentinel-'))
  const processes = new Processes()
  const name = 'transfers-cache'
  const [master, replica, ...sentinels] = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort()])
  const servers = new Map<number, ChildProcess>()
  servers.set(master as number, processes.start(serverArgs(master as number, dir)))
  servers.set(replica as number, processes.start([...serverArgs(replica as number, dir), '--replicaof', '127.0.0.1', String(master)]))
  await until('the replica in sync', async () => (await answer(replica as number, 'INFO', 'replication')).includes('master_link_status:up'))
  for (const port of sentinels) {
    const conf = join(dir, `sentinel-${port}.conf`)
    await writeFile(
      conf,
      [
        `port ${port}`,
        'bind 127.0.0.1',
        `dir ${dir}`,
        `sentinel monitor ${name} 127.0.0.1 ${master} 2`,
        `sentinel down-after-milliseconds ${name} 1000`,
        `sentinel failover-timeout ${name} 10000`,
        '',
      ].join('\n'),
    )
    processes.start([conf, '--sentinel'])
  }
  const masterPort = async () => {
    for (const port of sentinels) {
      const client = new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 0, lazyConnect: true })
      client.on('error', () => {})
      try {
        await client.connect()
        const [, found] = (await client.call('SENTINEL', 'get-master-addr-by-name', name)) as [string, string]
        if (found) return Number(found)
      } catch {
        // ask the next
      } finally {
        client.disconnect()
      }
    }
    throw new Error('no sentinel names a master')
  }
  await until('the sentinels to know each other and the replica', async () => {
    const info = await answer(sentinels[0] as number, 'INFO', 'sentinel')
    return /sentinels=3/.test(info) && /slaves=1/.test(info)
  })
  return {
    url: `redis-sentinel://${sentinels.map((port) => `127.0.0.1:${port}`).join(',')}/${name}`,
    name,
    masterPort,
    killMaster: async () => {
      const old = await masterPort()
      await processes.kill(servers.get(old) as ChildProcess)
      await until('the sentinels to promote the replica', async () => (await masterPort().catch(() => old)) !== old)
      const promoted = await masterPort()
      await until('the promoted replica to take writes', async () => (await answer(promoted, 'ROLE')).startsWith('master'))
      return promoted
    },
    stop: async () => {
      await processes.stopAll()
      await rm(dir, { recursive: true, force: true })
    },
  }
}

/** Three masters sharing the 16384 slots, no replicas. */
export interface RedisClusterSetup {
  url: string
  ports: number[]
  stop(): Promise<void>
}

export async function startRedisCluster(): Promise<RedisClusterSetup> {
  const dir = await mkdtemp(join(tmpdir(), 'redis-cluster-'))
  const processes = new Processes()
  const ports = await clusterPorts(3)
  for (const port of ports) {
    processes.start([...serverArgs(port, dir), '--cluster-enabled', 'yes', '--cluster-config-file', join(dir, `nodes-${port}.conf`)])
  }
  for (const port of ports) await until(`redis ${port}`, async () => (await answer(port, 'PING')) === 'PONG')
  await run('redis-cli', ['--cluster', 'create', ...ports.map((port) => `127.0.0.1:${port}`), '--cluster-replicas', '0', '--cluster-yes'])
  for (const port of ports) await until(`cluster state ok on ${port}`, async () => (await answer(port, 'CLUSTER', 'INFO')).includes('cluster_state:ok'))
  return {
    url: `redis-cluster://${ports.map((port) => `127.0.0.1:${port}`).join(',')}`,
    ports,
    stop: async () => {
      await processes.stopAll()
      await rm(dir, { recursive: true, force: true })
    },
  }
}
