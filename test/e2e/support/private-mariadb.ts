import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { promisify } from 'node:util'
import { createConnection } from 'mysql2/promise'

/**
 * A mariadbd of the test's own (Debian's `mariadb-server` binaries), on a free port with a fresh
 * data directory, that the test may freeze (SIGSTOP), thaw, kill (SIGKILL) and start again on the
 * same port and data. Never the shared server: nothing here touches another process.
 */
export interface PrivateMariadb {
  /** mysql://root@127.0.0.1:<port>, without a database name. */
  url: string
  /** The running server's process id. */
  pid(): number
  freeze(): void
  thaw(): void
  kill(): Promise<void>
  /** Starts it again (after kill) on the same port and data directory. */
  start(): Promise<void>
  /** Ends the server and removes its data. */
  stop(): Promise<void>
}

async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}

/** Whether mariadbd can be run here (the e2e tests that need one are skipped otherwise). */
export async function hasMariadbd(): Promise<boolean> {
  return promisify(execFile)('mariadbd', ['--version']).then(
    () => true,
    () => false,
  )
}

/** `variables`: extra server options, e.g. `--innodb-flush-log-at-trx-commit=0`. */
export async function startPrivateMariadb(variables: string[] = []): Promise<PrivateMariadb> {
  const dir = await mkdtemp(join(tmpdir(), 'e2e-mariadbd-'))
  const data = join(dir, 'data')
  await promisify(execFile)('mariadb-install-db', [
    '--no-defaults',
    `--datadir=${data}`,
    '--user=root',
    '--auth-root-authentication-method=normal',
    '--skip-test-db',
  ])
  const port = await freePort()
  const url = `mysql://root@127.0.0.1:${port}`
  let server: ChildProcess | undefined
  const start = async () => {
    server = spawn(
      'mariadbd',
      [
        '--no-defaults',
        `--datadir=${data}`,
        '--user=root',
        `--port=${port}`,
        '--bind-address=127.0.0.1',
        `--socket=${join(dir, 'mariadbd.sock')}`,
        '--skip-log-bin',
        '--innodb-buffer-pool-size=32M',
        '--innodb-log-file-size=16M',
        ...variables,
      ],
      { stdio: 'ignore' },
    )
    const stopAt = Date.now() + 30_000
    for (;;) {
      const answered = await createConnection({ host: '127.0.0.1', port, user: 'root', connectTimeout: 1000 }).then(
        async (connection) => (await connection.end(), true),
        () => false,
      )
      if (answered) return
      if (Date.now() > stopAt || server.exitCode !== null) throw new Error(`private mariadbd on ${port} did not start`)
      await sleep(100)
    }
  }
  const kill = async () => {
    if (!server || server.exitCode !== null || server.signalCode !== null) return
    const exited = once(server, 'exit')
    server.kill('SIGCONT')
    server.kill('SIGKILL')
    await exited
  }
  await start()
  return {
    url,
    pid: () => server?.pid ?? 0,
    freeze: () => void server?.kill('SIGSTOP'),
    thaw: () => void server?.kill('SIGCONT'),
    kill,
    start,
    stop: async () => {
      await kill()
      await rm(dir, { recursive: true, force: true })
    },
  }
}
