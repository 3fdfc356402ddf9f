/**
 * The process's first module: `node --import ./dist/adapters/telemetry/register.js dist/main.js`.
 * ESM links a module's imports before any of its code runs, so main.js cannot patch the pino it
 * imports (the one instrumented package: it stamps log lines with trace ids). This module runs
 * first: it registers the loader hook of @opentelemetry/instrumentation (import-in-the-middle),
 * which wraps every module loaded after it, and starts the SDK, whose instrumentation then patches
 * pino as main.js loads it.
 * OTEL_SDK_DISABLED=true (read by the SDK's own parser) skips both, leaving the code unpatched.
 */
import { register } from 'node:module'
import { getBooleanFromEnv } from '@opentelemetry/core'
import { startTelemetry } from './sdk.js'

if (!getBooleanFromEnv('OTEL_SDK_DISABLED')) {
  register('@opentelemetry/instrumentation/hook.mjs', import.meta.url)
  startTelemetry()
}
