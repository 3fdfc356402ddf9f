import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'

const root = new URL('../../', import.meta.url)
const taskfile = parse(readFileSync(new URL('Taskfile.yml', root), 'utf8')) as {
  tasks: Record<string, { cmds: string[] }>
}
const scripts = (JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as { scripts: Record<string, string> })
  .scripts

/** `npm start` and `npm test` are npm's shorthands for `npm run start` and `npm run test`. */
function npmScriptOf(command: string): string | undefined {
  return /^npm (?:run (\S+)|(start|test))$/.exec(command)?.slice(1).find(Boolean)
}

describe('Taskfile.yml', () => {
  it('offers the tasks the README promises', () => {
    expect(Object.keys(taskfile.tasks)).toEqual(expect.arrayContaining(['run', 'test', 'load', 'migrate', 'up', 'down']))
  })

  it.each(Object.entries(taskfile.tasks))('task %s only calls npm scripts that exist', (_name, task) => {
    expect(task.cmds.length).toBeGreaterThan(0)
    for (const command of task.cmds) {
      const script = npmScriptOf(command)
      expect(script, `"${command}" is not an npm script call`).toBeDefined()
      expect(scripts, `package.json has no script "${script}"`).toHaveProperty(script as string)
    }
  })
})
