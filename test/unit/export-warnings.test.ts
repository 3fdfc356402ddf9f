import { ExportResultCode, type ExportResult } from '@opentelemetry/core'
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { WarningExporter } from '../../src/adapters/telemetry/export-warnings.js'

/** An exporter whose answer the test decides. */
class ScriptedExporter implements SpanExporter {
  result: ExportResult = { code: ExportResultCode.SUCCESS }
  exported = 0
  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    this.exported += spans.length
    done(this.result)
  }
  async shutdown(): Promise<void> {}
}

const spans = (count: number) => Array.from({ length: count }) as ReadableSpan[]

describe('WarningExporter', () => {
  let inner: ScriptedExporter
  let exporter: WarningExporter
  let warnings: { details: object; message: string }[]

  beforeEach(() => {
    // Only the clock: exports run on setImmediate, which must stay real.
    vi.useFakeTimers({ toFake: ['Date'] })
    inner = new ScriptedExporter()
    exporter = new WarningExporter(inner, 10_000)
    warnings = []
    exporter.logger = { warn: (details, message) => warnings.push({ details, message }) }
  })
  afterEach(() => vi.useRealTimers())

  const send = (count: number) => new Promise<ExportResult>((resolve) => exporter.export(spans(count), resolve))

  it('passes batches and their results through', async () => {
    expect(await send(3)).toEqual({ code: ExportResultCode.SUCCESS })
    inner.result = { code: ExportResultCode.FAILED, error: new Error('connect ECONNREFUSED') }
    expect(await send(2)).toBe(inner.result)
    expect(inner.exported).toBe(5)
  })

  it('warns at most once per interval, counting the spans dropped in between', async () => {
    inner.result = { code: ExportResultCode.FAILED, error: new Error('connect ECONNREFUSED') }
    await send(2)
    vi.advanceTimersByTime(4_000)
    await send(3)
    vi.advanceTimersByTime(4_000)
    await send(4)
    expect(warnings).toEqual([
      { details: { reason: 'connect ECONNREFUSED', droppedSpans: 2 }, message: 'trace export failed; spans dropped' },
    ])

    vi.advanceTimersByTime(2_000)
    await send(1)
    expect(warnings.map((warning) => warning.details)).toEqual([
      { reason: 'connect ECONNREFUSED', droppedSpans: 2 },
      { reason: 'connect ECONNREFUSED', droppedSpans: 8 },
    ])
  })

  it('reports the failures that happened before a logger was attached', async () => {
    exporter.logger = undefined
    inner.result = { code: ExportResultCode.FAILED }
    await send(5)
    exporter.logger = { warn: (details, message) => warnings.push({ details, message }) }
    await send(1)
    expect(warnings.map((warning) => warning.details)).toEqual([{ reason: 'unknown', droppedSpans: 6 }])
  })
})
