import { ROOT_CONTEXT, context } from '@opentelemetry/api'
import { type ExportResult, ExportResultCode, suppressTracing } from '@opentelemetry/core'
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base'

/** The part of a pino logger that telemetry reports to. */
export interface WarningLogger {
  warn(details: object, message: string): void
}

const EXPORT_CONTEXT = suppressTracing(ROOT_CONTEXT)

/**
 * Hands every batch to `inner` and passes its result on unchanged: a failed batch is dropped by the
 * batch processor, never retried by the service. Failures are reported at most once per
 * `intervalMs`, with the number of spans dropped since the last report, so an unreachable collector
 * neither stops the service nor floods its log. Until a logger is attached, failures are only counted.
 *
 * The batch processor starts an export from whatever context ends the span that fills a batch
 * (or arms its timer): some request's. The export, its socket callbacks and so the warning would
 * run in that request's context, and the log line would carry the trace id of a request that has
 * nothing to do with the failure. Exports therefore run in the root context (tracing suppressed,
 * as the processor asks).
 */
export class WarningExporter implements SpanExporter {
  logger: WarningLogger | undefined
  private dropped = 0
  private lastWarning = -Infinity

  constructor(
    private readonly inner: SpanExporter,
    private readonly intervalMs = 10_000,
  ) {}

  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    // The processor exports a full batch from inside the span.end() that filled it, i.e. on some
    // request's path; serialising a batch takes milliseconds, so it waits for the next turn.
    setImmediate(() =>
      context.with(EXPORT_CONTEXT, () =>
        this.inner.export(spans, (result) => {
          if (result.code !== ExportResultCode.SUCCESS) this.failed(spans.length, result.error)
          done(result)
        }),
      ),
    )
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown()
  }

  async forceFlush(): Promise<void> {
    await this.inner.forceFlush?.()
  }

  private failed(spans: number, error: Error | undefined): void {
    this.dropped += spans
    const now = Date.now()
    if (!this.logger || now - this.lastWarning < this.intervalMs) return
    this.lastWarning = now
    this.logger.warn({ reason: error?.message ?? 'unknown', droppedSpans: this.dropped }, 'trace export failed; spans dropped')
    this.dropped = 0
  }
}
