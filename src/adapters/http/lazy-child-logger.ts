import type { FastifyBaseLogger } from 'fastify'

type Level = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace'
type Bindings = Record<string, unknown>
type Pino = FastifyBaseLogger & { isLevelEnabled?(level: string): boolean }

/**
 * A request's logger with `bindings` on every line, made without pino's child() for each request:
 * child() serialises its bindings at once, about 10 µs of CPU a request on the load harness's
 * reads (CPU profile), for lines most requests never write (the access log is at debug). The
 * child is made when the first line at an enabled level is written.
 */
class LazyChildLogger {
  private made: FastifyBaseLogger | undefined

  constructor(
    private readonly parent: Pino,
    private readonly bindings: Bindings,
  ) {}

  get level(): string {
    return this.made?.level ?? this.parent.level
  }

  set level(level: string) {
    this.real().level = level
  }

  fatal(...args: unknown[]): void {
    this.write('fatal', args)
  }
  error(...args: unknown[]): void {
    this.write('error', args)
  }
  warn(...args: unknown[]): void {
    this.write('warn', args)
  }
  info(...args: unknown[]): void {
    this.write('info', args)
  }
  debug(...args: unknown[]): void {
    this.write('debug', args)
  }
  trace(...args: unknown[]): void {
    this.write('trace', args)
  }
  silent(): void {}

  child(bindings: Bindings, options?: object): FastifyBaseLogger {
    return this.real().child(bindings, options)
  }

  private write(level: Level, args: unknown[]): void {
    if (this.made || this.parent.isLevelEnabled?.(level) !== false) (this.real()[level] as (...a: unknown[]) => void)(...args)
  }

  private real(): FastifyBaseLogger {
    this.made ??= this.parent.child(this.bindings)
    return this.made
  }
}

export function lazyChildLogger(parent: FastifyBaseLogger, bindings: Bindings): FastifyBaseLogger {
  return new LazyChildLogger(parent, bindings) as unknown as FastifyBaseLogger
}
