// @ts-check
// Servers of the scaling run's own: one MariaDB with a Galera node's InnoDB settings but no
// replication, and a 3-node Galera cluster from scripts/galera-cluster.sh, each in a temp dir.
import { execFile, spawn } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { promisify } from 'node:util'
import mysql from 'mysql2/promise'
import { freePort } from './service.js'

const run = promisify(execFile)
const SCRIPT = new URL('../../scripts/galera-cluster.sh', import.meta.url).pathname
/** What the script gives every node, bar wsrep: the two topologies differ by replication only. */
const INNODB = ['innodb_buffer_pool_size=128M', 'innodb_log_file_size=64M', 'innodb_flush_log_at_trx_commit=2', 'character-set-server=utf8mb4', 'collation-server=utf8mb4_bin']

/** @param {number} port */
async function answers(port) {
  const connection = await mysql.createConnection({ host: '127.0.0.1', port, user: 'root', connectTimeout: 1000 }).catch(() => undefined)
  await connection?.end()
  return connection !== undefined
}

export async function startStandalone() {
  const dir = await mkdtemp(join(tmpdir(), 'bench-mariadb-'))
  const port = await freePort()
  const user = process.getuid?.() === 0 ? 'mysql' : (process.env.USER ?? 'mysql')
  await run('chown', [user, dir])
  const cnf = join(dir, 'my.cnf')
  await writeFile(
    cnf,
    ['[mysqld]', `user=${user}`, `datadir=${dir}/data`, `socket=${dir}/mysqld.sock`, `port=${port}`, 'bind-address=127.0.0.1', 'skip-name-resolve', `log-error=${dir}/error.log`, ...INNODB, ''].join('\n'),
  )
  await run('mariadb-install-db', [`--defaults-file=${cnf}`, '--auth-root-authentication-method=normal', '--skip-test-db'])
  const child = spawn('mariadbd', [`--defaults-file=${cnf}`], { stdio: 'ignore', detached: true })
  for (let i = 0; !(await answers(port)); i++) {
    if (i > 300 || child.exitCode !== null) throw new Error(`the standalone MariaDB did not start; see ${dir}/error.log`)
    await sleep(100)
  }
  return {
    hosts: [`127.0.0.1:${port}`],
    stop: async () => {
      const exited = new Promise((resolve) => child.once('exit', resolve))
      child.kill('SIGTERM')
      await exited
      await rm(dir, { recursive: true, force: true })
    },
  }
}

export async function startGalera() {
  const dir = await mkdtemp(join(tmpdir(), 'bench-galera-'))
  const base = 21_000 + Math.floor(Math.random() * 40) * 400
  const env = { ...process.env, GALERA_DIR: dir, GALERA_PORT_BASE: String(base) }
  await run('bash', [SCRIPT, 'up'], { env })
  return {
    hosts: [0, 1, 2].map((i) => `127.0.0.1:${base + i}`),
    stop: async () => {
      await run('bash', [SCRIPT, 'down'], { env })
      await rm(dir, { recursive: true, force: true })
    },
  }
}
