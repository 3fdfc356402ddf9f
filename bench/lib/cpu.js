// @ts-check
// CPU time spent by a process while a scenario runs, per request. Throughput on two shared cores
// swings from run to run; CPU per request is steadier, and it says where the cost sits: in the
// service (or the ceiling's client), or in MariaDB.
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'

const TICKS_PER_S = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100

/** utime + stime of `pid`, in seconds; undefined when it cannot be read. @param {number | undefined} pid */
function cpuSeconds(pid) {
  if (!pid) return undefined
  try {
    // Fields after the command name, which is in parentheses and may contain spaces.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_S
  } catch {
    return undefined
  }
}

/**
 * The pid of the MariaDB server at `databaseUrl`, from its own pid file when it runs on this
 * machine: other mariadbd processes (tests' private servers) may run beside it. Without a URL,
 * the first mariadbd found.
 * @param {string | undefined} databaseUrl
 */
export async function databasePid(databaseUrl) {
  if (databaseUrl) {
    const { default: mysql } = await import('mysql2/promise')
    const connection = await mysql.createConnection(databaseUrl.replace(/\/[^/?]*(\?|$)/, '/$1'))
    try {
      const [rows] = await connection.query('SELECT @@pid_file AS file')
      const file = /** @type {{ file: string }[]} */ (rows)[0]?.file
      const pid = file ? Number(readFileSync(file, 'utf8').trim()) : NaN
      if (pid > 0) return pid
    } catch {
      // not on this machine, or no pid file: fall back to the name
    } finally {
      await connection.end()
    }
  }
  return databasePidByName()
}

function databasePidByName() {
  return pidByName('mariadbd', 'mysqld')
}

/**
 * The pid of the NATS server at `natsUrl` when it is on this machine (127.0.0.1 or localhost), by
 * name; undefined otherwise. Its CPU is what events cost beyond the service and MariaDB.
 * @param {string | undefined} natsUrl
 */
export function natsPid(natsUrl) {
  return natsUrl && /^(nats:\/\/)?(127\.0\.0\.1|localhost)(:|$)/.test(natsUrl) ? pidByName('nats-server') : undefined
}

/** @param {string[]} names */
function pidByName(...names) {
  for (const name of names) {
    try {
      const pid = Number(execFileSync('pidof', ['-s', name], { encoding: 'utf8' }).trim())
      if (pid) return pid
    } catch {
      // not running under this name
    }
  }
  return undefined
}

/**
 * Starts counting the CPU time of each named process; `stop(requests)` gives microseconds per request.
 * @param {Record<string, number | undefined>} pids
 */
export function startCpuMeter(pids) {
  const before = Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, cpuSeconds(pid)]))
  return {
    /** @param {number} requests @returns {Record<string, number | undefined>} */
    stop(requests) {
      return Object.fromEntries(
        Object.entries(pids).map(([name, pid]) => {
          const [start, end] = [before[name], cpuSeconds(pid)]
          return [name, start === undefined || end === undefined || requests === 0 ? undefined : Math.round(((end - start) * 1e6) / requests)]
        }),
      )
    },
  }
}
