import { execFile } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { createConnection } from 'mysql2/promise'

const SCRIPT = fileURLToPath(new URL('../../../scripts/galera-cluster.sh', import.meta.url))
const run = promisify(execFile)

/** A private 3-node Galera cluster started by scripts/galera-cluster.sh (npm run cluster:up) in a directory of its own. */
export interface GaleraCluster {
  dir: string
  /** SQL ports of nodes 1–3. */
  ports: [number, number, number]
  /** mysql://root@127.0.0.1:<port of node n>,<the others, in order>/<database>: pinned to node n, failing over round the rest. */
  urlPinnedTo(node: 1 | 2 | 3, database: string): string
  /** The cluster's view of node n: its wsrep state and the cluster size it sees. */
  state(node: 1 | 2 | 3): Promise<{ state: string; size: number }>
  /** Runs one statement on node n directly. */
  query<T>(node: 1 | 2 | 3, sql: string): Promise<T[]>
  kill(node: 1 | 2 | 3): Promise<void>
  stop(): Promise<void>
}

async function portsFree(ports: number[]): Promise<boolean> {
  for (const port of ports) {
    const free = await new Promise<boolean>((resolve) => {
      const server = createServer()
      server.once('error', () => resolve(false))
      server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)))
    })
    if (!free) return false
  }
  return true
}

/** A base port whose 12 ports (SQL, group communication, IST, SST for 3 nodes) are free. */
async function freeBase(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 400) * 100
    const ports = [0, 1, 2].flatMap((n) => [base + n, base + 100 + n, base + 200 + n, base + 300 + n])
    if (await portsFree(ports)) return base
  }
  throw new Error('no free ports for a Galera cluster')
}

export async function startGaleraCluster(): Promise<GaleraCluster> {
  const dir = await mkdtemp(join(tmpdir(), 'galera-test-'))
  const base = await freeBase()
  const env = { ...process.env, GALERA_DIR: dir, GALERA_PORT_BASE: String(base) }
  const script = (...args: string[]) => run('bash', [SCRIPT, ...args], { env, maxBuffer: 1 << 24 })
  try {
    await script('up')
  } catch (error) {
    await script('down').catch(() => {})
    throw error
  }
  const ports: [number, number, number] = [base, base + 1, base + 2]
  const query = async <T>(node: 1 | 2 | 3, sql: string): Promise<T[]> => {
    const connection = await createConnection({ host: '127.0.0.1', port: ports[node - 1] as number, user: 'root', connectTimeout: 2000 })
    try {
      const [rows] = await connection.query(sql)
      return rows as T[]
    } finally {
      await connection.end()
    }
  }
  return {
    dir,
    ports,
    urlPinnedTo: (node, database) => {
      const order = [node - 1, node % 3, (node + 1) % 3].map((i) => `127.0.0.1:${ports[i]}`)
      return `mysql://root@${order.join(',')}/${database}`
    },
    state: async (node) => {
      const rows = await query<{ Variable_name: string; Value: string }>(node, "SHOW STATUS WHERE Variable_name IN ('wsrep_local_state_comment', 'wsrep_cluster_size')")
      const value = (name: string) => rows.find((row) => row.Variable_name === name)?.Value ?? ''
      return { state: value('wsrep_local_state_comment'), size: Number(value('wsrep_cluster_size')) }
    },
    query,
    kill: async (node) => {
      await script('kill', String(node))
    },
    stop: async () => {
      await script('down')
      await rm(dir, { recursive: true, force: true })
    },
  }
}
