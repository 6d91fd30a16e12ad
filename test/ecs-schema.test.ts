// What ecs-healthcheck writes must be a task definition ECS accepts: every
// fixture output (and every input, which are all valid task definitions the
// fixer starts from) and the demo's task definitions after the fix are checked
// against transforms/ecs/schema/ecs-task-definition.schema.json, written from
// the ECS API reference for the fields the transform reads and writes. The
// schema itself is checked to reject what the API rejects, so a loosened
// schema cannot pass everything.
import fs from 'node:fs';
import path from 'node:path';
import AjvModule, { type ValidateFunction } from 'ajv';
import { describe, expect, it } from 'vitest';
import { runFix } from '../src/engine/pipeline.js';
import { loadTransforms } from '../transforms/registry.js';
import { FIXTURES, REPO } from './helpers/fixtures.js';

const Ajv = AjvModule.default;
const SCHEMA = path.join(REPO, 'transforms', 'ecs', 'schema', 'ecs-task-definition.schema.json');
const CASES = path.join(FIXTURES, 'ecs-healthcheck');
const DEMO = path.join(FIXTURES, 'monorepo');

function validator(): ValidateFunction {
  // strictTuples off: `command` is an open tuple on purpose (CMD or CMD-SHELL, then any number of arguments),
  // which draft-07 can only say with `items` + `additionalItems`; every other strict check stays on.
  const ajv = new Ajv({ allErrors: true, strict: true, strictTuples: false });
  return ajv.compile(JSON.parse(fs.readFileSync(SCHEMA, 'utf8')) as object);
}

const validate = validator();

function problems(value: unknown): string[] {
  return validate(value) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? e.keyword}`);
}

const files = fs
  .readdirSync(CASES)
  .sort()
  .flatMap((c) => ['input.json', 'output.json'].map((f) => path.join(c, f)))
  .filter((f) => fs.existsSync(path.join(CASES, f)));

describe('ECS task definition schema', () => {
  it('covers the fixture cases (inputs and outputs)', () => {
    expect(files.filter((f) => f.endsWith('output.json')).length).toBeGreaterThanOrEqual(10);
  });

  it.each(files)('fixtures/ecs-healthcheck/%s is a valid task definition', (file) => {
    const value = JSON.parse(fs.readFileSync(path.join(CASES, file), 'utf8')) as unknown;
    expect(problems(value)).toEqual([]);
  });

  it("accepts the demo's task definitions after ecs-healthcheck, which changed both", async () => {
    const transforms = await loadTransforms();
    const ecs = transforms.filter((t) => t.id === 'ecs-healthcheck');
    const result = await runFix(DEMO, ecs, ecs);
    const changed = result.changes.filter((c) => c.path.startsWith('deploy/ecs/'));
    expect(changed.map((c) => c.path).sort()).toEqual(['deploy/ecs/booking-service.json', 'deploy/ecs/course-service.json']);
    for (const c of changed) expect(problems(JSON.parse(c.after)), c.path).toEqual([]);
  });

  describe('rejects what the ECS API rejects', () => {
    const task = (container: Record<string, unknown>) => ({ family: 'orders', containerDefinitions: [{ name: 'orders', image: 'orders:1', ...container }] });
    const hc = (fields: Record<string, unknown>) => task({ healthCheck: { command: ['CMD', 'node', '-e', '0'], ...fields } });
    const bad: [string, unknown][] = [
      ['interval below 5', hc({ interval: 4 })],
      ['interval above 300', hc({ interval: 301 })],
      ['timeout below 2', hc({ timeout: 1 })],
      ['timeout above 60', hc({ timeout: 61 })],
      ['retries of 0', hc({ retries: 0 })],
      ['retries above 10', hc({ retries: 11 })],
      ['startPeriod above 300', hc({ startPeriod: 301 })],
      ['a duration string', hc({ interval: '30s' })],
      ['a Docker-style key', hc({ start_period: 20 })],
      ['a command without CMD/CMD-SHELL', task({ healthCheck: { command: ['curl', '-f', 'http://127.0.0.1/health'] } })],
      ['CMD alone', task({ healthCheck: { command: ['CMD'] } })],
      ['NONE with arguments', task({ healthCheck: { command: ['NONE', 'x'] } })],
      ['a shell string command', task({ healthCheck: { command: 'curl -f http://127.0.0.1/health' } })],
      ['no command', task({ healthCheck: { interval: 30 } })],
      ['stopTimeout above 120', task({ stopTimeout: 121 })],
      ['stopTimeout below 2', task({ stopTimeout: 1 })],
      ['a fractional stopTimeout', task({ stopTimeout: 12.5 })],
      ['an environment value that is a number', task({ environment: [{ name: 'PORT', value: 3000 }] })],
      ['a containerPort out of range', task({ portMappings: [{ containerPort: 70000 }] })],
      ['a container name with a dot', { family: 'orders', containerDefinitions: [{ name: 'orders.api', image: 'orders:1' }] }],
      ['no family', { containerDefinitions: [{ name: 'orders', image: 'orders:1' }] }],
      ['no container definitions', { family: 'orders', containerDefinitions: [] }],
      ['a wrapper around an invalid task', { taskDefinition: task({ stopTimeout: 0 }) }],
    ];
    it.each(bad)('%s', (_, value) => {
      expect(problems(value)).not.toEqual([]);
    });

    it('while accepting the shapes it is written for', () => {
      expect(problems(hc({ interval: 5, timeout: 2, retries: 1, startPeriod: 0 }))).toEqual([]);
      expect(problems(hc({ interval: 300, timeout: 60, retries: 10, startPeriod: 300 }))).toEqual([]);
      expect(problems(task({ healthCheck: { command: ['CMD-SHELL', 'curl -f http://127.0.0.1/health || exit 1'] }, stopTimeout: 120 }))).toEqual([]);
      expect(problems(task({ healthCheck: { command: ['NONE'] } }))).toEqual([]);
      expect(problems({ taskDefinition: task({ stopTimeout: 2 }), tags: [] })).toEqual([]);
    });
  });
});
