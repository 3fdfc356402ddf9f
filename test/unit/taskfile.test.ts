import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'

const root = new URL('../../', import.meta.url)
const taskfile = parse(readFileSync(new URL('Taskfile.yml', root), 'utf8')) as {
  tasks: Record<string, { desc?: string; cmds: string[] }>
}
const scripts = (JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as { scripts: Record<string, string> })
  .scripts

/** The tasks whose arguments (after `task <name> --`) reach the npm script. */
const PASSES_ARGUMENTS = ['test', 'load', 'keys', 'audit', 'up', 'down', 'consumer']

/**
 * The npm script a command calls, and whether it passes the task's arguments on. `npm start` and
 * `npm test` are npm's shorthands for `npm run start` and `npm run test`.
 */
function npmScriptOf(command: string): { script: string; passesArguments: boolean } | undefined {
  const match = /^npm (?:run (\S+)|(start|test))( -- \{\{\.CLI_ARGS\}\})?$/.exec(command)
  const script = match?.[1] ?? match?.[2]
  return script === undefined ? undefined : { script, passesArguments: match?.[3] !== undefined }
}

const { default: defaultTask, ...tasks } = taskfile.tasks

describe('Taskfile.yml', () => {
  it('offers the tasks the README promises', () => {
    expect(Object.keys(tasks)).toEqual(
      expect.arrayContaining(['run', 'test', 'load', 'migrate', 'keys', 'up', 'down', 'cluster', 'cluster-down', 'test-cluster']),
    )
  })

  it('lists the tasks when run without one', () => {
    // TASK_EXE: the binary that runs the Taskfile, whatever it is called (go-task on some systems).
    expect(defaultTask?.cmds).toEqual(['{{.TASK_EXE}} --list'])
    // `task --list` shows only the tasks that have a description.
    for (const [name, task] of Object.entries(taskfile.tasks)) expect(task.desc, name).toBeTruthy()
  })

  it.each(Object.entries(tasks))('task %s only calls npm scripts that exist', (name, task) => {
    expect(task.cmds.length).toBeGreaterThan(0)
    for (const command of task.cmds) {
      const call = npmScriptOf(command)
      expect(call, `"${command}" is not an npm script call`).toBeDefined()
      expect(scripts, `package.json has no script "${call?.script}"`).toHaveProperty(call?.script as string)
      expect(call?.passesArguments, `${name}: {{.CLI_ARGS}}`).toBe(PASSES_ARGUMENTS.includes(name))
    }
  })
})
