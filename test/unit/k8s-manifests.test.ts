import { readdirSync, readFileSync } from 'node:fs'
import { Deployment } from 'kubernetes-models/apps/v1'
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2'
import { Job } from 'kubernetes-models/batch/v1'
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1'
import { ConfigMap, Secret, Service } from 'kubernetes-models/v1'
import { describe, expect, it } from 'vitest'
import ts from 'typescript'
import { parseAllDocuments } from 'yaml'
import { loadConfig } from '../../src/config.js'

const root = new URL('../../', import.meta.url)
const dir = new URL('deploy/k8s/', root)
const read = (path: string) => readFileSync(new URL(path, root), 'utf8')

/** Every object of every manifest, with the file it came from. */
const objects = readdirSync(dir)
  .filter((file) => file.endsWith('.yaml'))
  .flatMap((file) => parseAllDocuments(readFileSync(new URL(file, dir), 'utf8')).map((doc) => ({ file, object: doc.toJS() as any })))

/** kubernetes-models: each class validates against the Kubernetes OpenAPI schema of its kind. */
const MODELS: Record<string, new (data: any) => { validate(): void }> = {
  'apps/v1 Deployment': Deployment,
  'autoscaling/v2 HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'batch/v1 Job': Job,
  'policy/v1 PodDisruptionBudget': PodDisruptionBudget,
  'v1 ConfigMap': ConfigMap,
  'v1 Secret': Secret,
  'v1 Service': Service,
}
/**
 * The schemas let unknown fields through (as the API server does unless asked to be strict), so a
 * misspelt field would pass unseen: each object is also type-checked as an object literal of the
 * package's interface for its kind (I<Kind>), whose excess-property check names any field the
 * Kubernetes API does not have.
 */
function unknownFields(items: { file: string; object: any }[]): string[] {
  const source = items
    .map(({ object }, i) => {
      const [group = '', version] = String(object.apiVersion).includes('/') ? String(object.apiVersion).split('/') : ['', object.apiVersion]
      const module = group === '' ? `kubernetes-models/${version}` : `kubernetes-models/${group.split('.')[0]}/${version}`
      return `import type { I${object.kind} as T${i} } from '${module}'\nexport const o${i}: T${i} = ${JSON.stringify(object)}\n`
    })
    .join('')
  const fileName = new URL('deploy/k8s/manifests.check.ts', root).pathname
  const options: ts.CompilerOptions = { strict: true, noEmit: true, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, skipLibCheck: true, types: [] }
  const host = ts.createCompilerHost(options)
  const readFile = host.readFile.bind(host)
  host.readFile = (name) => (name === fileName ? source : readFile(name))
  const fileExists = host.fileExists.bind(host)
  host.fileExists = (name) => name === fileName || fileExists(name)
  const program = ts.createProgram([fileName], options, host)
  // Two lines per object: its import, then its literal.
  return ts.getPreEmitDiagnostics(program).map((diagnostic) => {
    const line = diagnostic.file?.getLineAndCharacterOfPosition(diagnostic.start ?? 0).line ?? 0
    return `${items[Math.floor(line / 2)]?.file}: ${ts.flattenDiagnosticMessageText(diagnostic.messageText, ' ')}`
  })
}

const one = (kind: string) => {
  const found = objects.filter(({ object }) => object.kind === kind)
  expect(found, kind).toHaveLength(1)
  return found[0]!.object
}

/** The variables the service reads: src/config.ts's, and the OTEL_* rows of docs/configuration.md's table. */
const serviceVariables = new Set([
  ...[...read('src/config.ts').matchAll(/(?:integer|text)\('([A-Z][A-Z0-9_]+)'|env\.([A-Z][A-Z0-9_]+)/g)].map((m) => (m[1] ?? m[2]) as string),
  ...[...read('docs/configuration.md').matchAll(/^\| `(OTEL_[A-Z_]+)` \|/gm)].map((m) => m[1] as string),
])

describe('deploy/k8s', () => {
  it('holds the objects a deployment needs, each valid against its Kubernetes schema', () => {
    expect(objects.map(({ object }) => `${object.apiVersion} ${object.kind}`).sort()).toEqual(Object.keys(MODELS).sort())
    for (const { file, object } of objects) {
      const Model = MODELS[`${object.apiVersion} ${object.kind}`]
      expect(Model, file).toBeDefined()
      expect(() => new Model!(object).validate(), file).not.toThrow()
    }
  })

  it('names no field the Kubernetes API does not have, and would catch a misspelt one', () => {
    expect(unknownFields(objects)).toEqual([])
    const deployment = structuredClone(one('Deployment'))
    const [container] = deployment.spec.template.spec.containers
    container.readinesProbe = container.readinessProbe
    delete container.readinessProbe
    expect(() => new Deployment(deployment).validate()).not.toThrow() // the schema alone lets it through
    expect(unknownFields([{ file: 'deployment.yaml', object: deployment }]).join('\n')).toMatch(/deployment\.yaml: .*readinesProbe/)
    // Two TypeScript programs: seconds on a busy machine, far past vitest's 5 s default there.
  }, 60_000)

  it('sets only variables the service reads, and the configuration they form is valid', () => {
    const env = { ...one('ConfigMap').data, ...one('Secret').stringData } as Record<string, string>
    expect(serviceVariables.size).toBeGreaterThan(20)
    for (const name of Object.keys(env)) expect(serviceVariables, `${name} is not read by the service`).toContain(name)
    expect(Object.keys(env)).toEqual(expect.arrayContaining(['DATABASE_URL', 'REDIS_URL']))
    expect(Object.keys(one('Secret').stringData ?? {}).sort()).toEqual(['DATABASE_URL', 'REDIS_URL'])
    expect(() => loadConfig(env)).not.toThrow()
  })

  it('wires ports, probes and the drain to the service as it really runs', () => {
    const env = one('ConfigMap').data as Record<string, string>
    const config = loadConfig(env)
    const deployment = one('Deployment')
    const pod = deployment.spec.template.spec
    const [container] = pod.containers
    const ports = Object.fromEntries(container.ports.map((port: any) => [port.name, port.containerPort]))
    expect(ports).toEqual({ http: config.port, metrics: Number(env.OTEL_EXPORTER_PROMETHEUS_PORT ?? 9464) })
    expect(ports).toEqual({ http: 9999, metrics: 9464 })
    expect(container.envFrom).toEqual([{ configMapRef: { name: one('ConfigMap').metadata.name } }, { secretRef: { name: one('Secret').metadata.name } }])

    const routes = read('src/adapters/http/routes/health.ts')
    for (const [probe, path] of [['readinessProbe', '/readyz'], ['livenessProbe', '/livez'], ['startupProbe', '/livez']] as const) {
      expect(container[probe].httpGet, probe).toEqual({ path, port: 'http' })
      expect(routes).toContain(`'${path}'`)
    }
    expect(deployment.spec.replicas).toBe(3)

    // SIGTERM comes after preStop; the process then drains for at most SHUTDOWN_TIMEOUT_MS.
    const pause = Number(container.lifecycle.preStop.exec.command[1])
    expect(pause).toBeGreaterThan(0)
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(pause + config.shutdownTimeoutMs / 1000)
    // The heap is bounded at 192 MB (npm start); the process has been measured at 220–260 MB resident.
    expect(container.resources.requests.memory).toBe('256Mi')
    expect(Number.parseInt(container.resources.limits.memory, 10)).toBeGreaterThan(256)
  })

  it('points the Service, the budget and the autoscaler at the Deployment, and the Job runs the migration with the same settings', () => {
    const deployment = one('Deployment')
    const labels = deployment.spec.template.metadata.labels
    expect(deployment.spec.selector.matchLabels).toEqual(labels)
    const service = one('Service')
    expect(service.spec.selector).toEqual(labels)
    expect(service.spec.ports.map((port: any) => port.targetPort).sort()).toEqual(['http', 'metrics'])
    expect(one('PodDisruptionBudget').spec.selector.matchLabels).toEqual(labels)
    const hpa = one('HorizontalPodAutoscaler')
    expect(hpa.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: deployment.metadata.name })
    expect(hpa.spec.minReplicas).toBe(deployment.spec.replicas)

    const job = one('Job').spec.template.spec
    const [migrate] = job.containers
    expect(migrate.image).toBe(deployment.spec.template.spec.containers[0].image)
    expect(migrate.envFrom).toEqual(deployment.spec.template.spec.containers[0].envFrom)
    // The image's entry point is node; `dist/main.js migrate` is what `npm run migrate` runs.
    expect(migrate.command).toEqual(['node', ...read('package.json').match(/"migrate": "node ([^"]+)"/)![1]!.split(' ')])
    expect(job.restartPolicy).toBe('Never')
  })
})
