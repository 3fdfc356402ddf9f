/** One address of a Redis node or sentinel. */
export interface RedisNode {
  host: string
  port: number
}

/**
 * What REDIS_URL names:
 * - `redis://[user:password@]host:6379[/db]` (or `rediss://` for TLS): one Redis, as ioredis reads it;
 * - `redis-sentinel://[:password@]host:26379,host:26379/<master name>`: the sentinels to ask, in
 *   order, which Redis is the master of that name now; the password is the master's (sentinels
 *   without one); the client follows a failover the sentinels announce;
 * - `redis-cluster://[:password@]host:6379,host:6379`: some nodes of a Redis Cluster, from which
 *   the client learns the others and the slots.
 */
export type RedisTarget =
  | { mode: 'single'; url: string }
  | { mode: 'sentinel'; sentinels: RedisNode[]; name: string; password?: string }
  | { mode: 'cluster'; nodes: RedisNode[]; password?: string }

const SHAPE = /^(redis-sentinel|redis-cluster):\/\/(?:([^@/?#]*)@)?([^/?#]*)(?:\/([^?#]*))?$/

/** Parses REDIS_URL; throws an Error whose message names REDIS_URL and what it accepts. */
export function parseRedisUrl(url: string): RedisTarget {
  if (/^rediss?:\/\//.test(url)) {
    if (!URL.canParse(url)) throw new Error(`REDIS_URL is not a valid URL`)
    return { mode: 'single', url }
  }
  const match = SHAPE.exec(url)
  if (!match) throw new Error('REDIS_URL must start with redis://, rediss://, redis-sentinel:// or redis-cluster://, or be empty')
  const [, scheme, userinfo, hostList = '', path = ''] = match
  const nodes = hostList.split(',').map((host) => node(host, scheme === 'redis-sentinel' ? 26379 : 6379))
  const password = userinfo ? decodeURIComponent(userinfo.replace(/^[^:]*:/, '')) : ''
  const auth = password ? { password } : {}
  if (scheme === 'redis-cluster') {
    if (path !== '') throw new Error('REDIS_URL of a Redis Cluster takes no path: Cluster has database 0 only')
    return { mode: 'cluster', nodes, ...auth }
  }
  const name = decodeURIComponent(path)
  if (!/^[\w.-]+$/.test(name)) throw new Error('REDIS_URL of sentinels must end with the master name, e.g. redis-sentinel://s1:26379,s2:26379/mymaster')
  return { mode: 'sentinel', sentinels: nodes, name, ...auth }
}

function node(host: string, defaultPort: number): RedisNode {
  const parsed = host !== '' && URL.canParse(`redis://${host}`) ? new URL(`redis://${host}`) : undefined
  if (!parsed || parsed.hostname === '' || parsed.username !== '') {
    throw new Error(`REDIS_URL has an invalid host "${host}"; write host or host:port, comma-separated`)
  }
  return { host: parsed.hostname.replace(/^\[|\]$/g, ''), port: parsed.port ? Number(parsed.port) : defaultPort }
}

/** Where the cache is, for log lines: never with the password. */
export function describeRedis(target: RedisTarget): string {
  const list = (nodes: RedisNode[]) => nodes.map((n) => `${n.host}:${n.port}`).join(',')
  if (target.mode === 'sentinel') return `master "${target.name}" of sentinels ${list(target.sentinels)}`
  if (target.mode === 'cluster') return `Redis Cluster at ${list(target.nodes)}`
  const parsed = new URL(target.url)
  return parsed.searchParams.get('path') ?? `${parsed.hostname || 'localhost'}:${parsed.port || 6379}`
}
