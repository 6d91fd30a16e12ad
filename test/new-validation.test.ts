// Bad input to the generators: one clear error (a UsageError, which the CLI
// turns into exit 2), nothing written. Values that could inject code are
// refused by validation, and the template helpers would still emit them as
// literals. Conflicts are listed and refused whole; a failed write rolls back.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { newCommand, type NewOptions } from '../src/commands/new.js';
import { UsageError } from '../src/engine/pipeline.js';
import { js, json, word, TemplateValueError } from '../generators/lib/helpers.js';
import { readMonorepo, pickNodeImage, type Monorepo } from '../generators/lib/monorepo.js';
import { resolveAnswers, type Answers } from '../generators/lib/options.js';
import { applyPlan, ConflictError, templatesRoot, type Plan } from '../generators/lib/plan.js';
import { globRegExp } from '../generators/lib/wiring.js';
import { parseDockerfile } from '../src/engine/dockerfile.js';

const DEMO = path.resolve(import.meta.dirname, '..', 'fixtures', 'monorepo');
const temps: string[] = [];
let stdout = '';

function demoCopy(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shipshape-new-'));
  temps.push(dir);
  fs.cpSync(DEMO, dir, { recursive: true, filter: (s) => !/[/\\](node_modules|dist)([/\\]|$)/.test(s) });
  return dir;
}

function snapshot(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(path.join(root, dir), { withFileTypes: true })) {
      const rel = path.join(dir, e.name);
      if (e.isDirectory()) walk(rel);
      else out[rel] = fs.readFileSync(path.join(root, rel), 'utf8');
    }
  };
  walk('.');
  return out;
}

/** Runs `new` in `root`; returns the UsageError message, or null on success. */
async function run(kind: string, opts: NewOptions, root: string): Promise<string | null> {
  try {
    expect(await newCommand(kind, { root, ...opts })).toBe(0);
    return null;
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return (err as Error).message;
  }
}

beforeEach(() => {
  stdout = '';
  // Not a terminal: missing values are an error, not a prompt.
  Object.defineProperty(process.stdin, 'isTTY', { value: false, configurable: true });
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    stdout += String(chunk);
    return true;
  });
});
afterEach(() => {
  vi.restoreAllMocks();
  temps.splice(0).forEach((t) => fs.rmSync(t, { recursive: true, force: true }));
});

describe('option validation (one schema for flags, answers files and prompts)', () => {
  let mono: Monorepo;
  beforeAll(async () => {
    mono = await readMonorepo(DEMO, '2026-06-01');
  });
  const resolve = (kind: 'service' | 'worker', flags: Partial<Record<keyof Answers, unknown>>) => resolveAnswers(kind, { flags, yes: true }, mono);

  it('reads its defaults from the monorepo', () => {
    expect(mono.pnpmVersion).toBe('9.12.3');
    expect(mono.nodeImage.ref).toBe('node:22-alpine');
    expect(mono.defaultDir).toBe('services');
    expect(mono.defaultDb).toBe('mongo');
    // 3000-3004 are taken (3004 only by a URL another service is given), so 3005.
    expect(mono.nextPort).toBe(3005);
    expect(mono.kafkaBrokers).toBe('kafka:9092');
  });

  it.each([
    ['../evil', /path separators/],
    ['a/b', /path separators/],
    ['a\\b', /path separators/],
    ['Billing', /kebab-case/],
    ['billing_service', /kebab-case/],
    ['-billing', /kebab-case/],
    ["x'); process.exit(1); ('", /kebab-case/],
    ['${process.exit(1)}', /kebab-case/],
    ['{{name}}', /kebab-case/],
    ['http', /core module/],
    [`a${'-b'.repeat(107)}`, /214/],
    ['api-gateway', /already exists/],
    ['legacy-reporting', /already exists/],
    ['', /non-empty/],
  ])('refuses the name %j', async (name, why) => {
    await expect(resolve('service', { name })).rejects.toThrow(why);
  });

  it.each([
    ['80', /between 1024 and 65535/],
    ['70000', /between 1024 and 65535/],
    ['3000x', /between 1024 and 65535/],
    ['3000', /already used by .*api-gateway/],
    ['3004', /already used by compose service "api-gateway"/],
    ['27017', /already used/],
  ])('refuses the port %j', async (port, why) => {
    await expect(resolve('service', { name: 'billing-service', port })).rejects.toThrow(why);
  });

  it.each(['bad topic', 't'.repeat(250), '..', "pay'ments", '${x}', '{{x}}', 'a/b', ''])('refuses the topic %j', async (topic) => {
    await expect(resolve('worker', { name: 'billing-worker', topic })).rejects.toThrow(topic === '' ? /non-empty/ : /not a valid Kafka topic/);
  });

  it('refuses a bad group, db and dir', async () => {
    await expect(resolve('worker', { name: 'w', topic: 't', group: 'a b' })).rejects.toThrow(/--group: .*not a valid Kafka group/);
    await expect(resolve('service', { name: 's', db: 'mysql' })).rejects.toThrow(/--db: "mysql" is not one of mongo, postgres, none/);
    for (const dir of ['../outside', '/abs', 'services\\x', 'a/../b', 'a b'])
      await expect(resolve('service', { name: 's', dir })).rejects.toThrow(/--dir: /);
  });

  it('takes every default with yes, and the ones that have none are required', async () => {
    expect(await resolve('service', { name: 'billing-service' })).toEqual({ name: 'billing-service', dir: 'services', port: 3005, db: 'mongo' });
    expect(await resolve('worker', { name: 'billing-worker', topic: 'payments' })).toEqual({ name: 'billing-worker', dir: 'services', topic: 'payments', group: 'billing-worker', db: 'mongo' });
    await expect(resolve('service', {})).rejects.toThrow('a service needs --name (it has no default)');
    await expect(resolve('worker', { name: 'w' })).rejects.toThrow('a worker needs --topic (it has no default)');
    await expect(resolve('service', { name: 's', topic: 'x' })).rejects.toThrow('--topic does not apply to a service');
  });

  it('without yes, lists what is missing and the defaults --yes would take', async () => {
    await expect(resolveAnswers('worker', { flags: { name: 'w' }, yes: false }, mono)).rejects.toThrow(
      'missing --dir, --topic, --group, --db: pass them or --answers FILE.json, or --yes for the defaults (dir services, group w, db mongo); --topic has no default',
    );
  });

  it('picks the Node image: most used supported LTS, else the current LTS with the usual variant', () => {
    const trees = (...froms: string[]) => froms.map((f, i) => ({ path: `Dockerfile.${i}`, tree: parseDockerfile(`FROM ${f}\n`) }));
    expect(pickNodeImage(trees('node:20-alpine', 'node:20-alpine', 'node:22-alpine'), undefined, '2026-06-01').ref).toBe('node:22-alpine');
    expect(pickNodeImage(trees('node:20-bookworm-slim', 'node:18'), undefined, '2026-06-01').ref).toBe('node:24-bookworm-slim');
    expect(pickNodeImage(trees('node:24-alpine', 'node:22-alpine', 'node:22-alpine'), undefined, '2026-06-01').ref).toBe('node:22-alpine');
    expect(pickNodeImage(trees('node:22-alpine'), undefined, '2027-05-01').ref).toBe('node:24-alpine');
    expect(pickNodeImage(trees('node:20-alpine'), '24', '2026-06-01').ref).toBe('node:24-alpine');
    expect(pickNodeImage([], undefined, '2026-06-01')).toMatchObject({ ref: 'node:24', alpine: false });
  });

  it('matches pnpm workspace globs', () => {
    expect(globRegExp('services/*').test('services/billing')).toBe(true);
    expect(globRegExp('services/*').test('services/a/b')).toBe(false);
    expect(globRegExp('packages/**').test('packages/a/b')).toBe(true);
    expect(globRegExp('{apps,services}/*').test('apps/x')).toBe(true);
    expect(globRegExp('./tools/*/').test('tools/x')).toBe(true);
  });
});

describe('shipshape new on bad input writes nothing', () => {
  it('fails with one error per bad flag and leaves the tree untouched', async () => {
    const repo = demoCopy();
    const before = snapshot(repo);
    const cases: [string, NewOptions, RegExp][] = [
      ['service', { name: '../evil', yes: true }, /^--name: "\.\.\/evil" must not contain path separators/],
      ['service', { name: "a'b", yes: true }, /^--name: .*kebab-case/],
      ['service', { name: 'billing-service', port: '3000', yes: true }, /^--port: port 3000 is already used/],
      ['worker', { name: 'billing-worker', topic: '${process.exit(1)}', yes: true }, /^--topic: .*not a valid Kafka topic/],
      ['job', { name: 'x', yes: true }, /^unknown kind "job": expected service or worker/],
      ['service', { name: 'x', root: path.join(repo, 'nope'), yes: true }, /^--root .*: not a directory/],
      ['service', { name: 'billing-service' }, /^missing --dir, --port, --db: .*--yes for the defaults \(dir services, port 3005, db mongo\)/],
    ];
    for (const [kind, opts, message] of cases) expect(await run(kind, opts, repo), JSON.stringify(opts)).toMatch(message);
    expect(snapshot(repo)).toEqual(before);
    expect(stdout).toBe('');
  });

  it('checks the --answers file: readable JSON object, only options of the kind', async () => {
    const repo = demoCopy();
    const before = snapshot(repo);
    const file = (name: string, text: string) => {
      const p = path.join(temps[0]!, '..', `${path.basename(temps[0]!)}-${name}`);
      fs.writeFileSync(p, text);
      temps.push(p);
      return p;
    };
    expect(await run('service', { answers: path.join(repo, 'missing.json') }, repo)).toMatch(/^--answers .*missing\.json: cannot read: ENOENT/);
    expect(await run('service', { answers: file('bad.json', '{ name: x') }, repo)).toMatch(/bad\.json: invalid JSON/);
    expect(await run('service', { answers: file('list.json', '["x"]') }, repo)).toMatch(/list\.json: must be a JSON object of answers/);
    expect(await run('service', { answers: file('topic.json', '{"name": "s", "topic": "t"}') }, repo)).toMatch(/topic\.json: "topic" does not apply to a service/);
    expect(await run('service', { answers: file('typo.json', '{"nmae": "s"}') }, repo)).toMatch(/typo\.json: "nmae" is not an option \(options for a service: name, dir, port, db\)/);
    expect(await run('service', { answers: file('port.json', '{"name": "s", "port": "80", "dir": "services", "db": "none"}') }, repo)).toMatch(/port\.json: "port": "80" is not a port/);
    expect(snapshot(repo)).toEqual(before);
  });

  it('lists every file that already exists, and writes none of the others', async () => {
    const repo = demoCopy();
    fs.mkdirSync(path.join(repo, 'services', 'billing-service'));
    fs.writeFileSync(path.join(repo, 'services', 'billing-service', 'Dockerfile'), 'FROM scratch\n');
    fs.writeFileSync(path.join(repo, 'services', 'billing-service', 'README.md'), '# mine\n');
    const before = snapshot(repo);
    const message = await run('service', { name: 'billing-service', yes: true }, repo);
    expect(message).toBe(
      'cannot create services/billing-service: nothing was written, because:\n  services/billing-service/Dockerfile already exists\n  services/billing-service/README.md already exists',
    );
    expect(snapshot(repo)).toEqual(before);
  });

  it('refuses a non-empty folder even when none of its files clash', async () => {
    const repo = demoCopy();
    fs.mkdirSync(path.join(repo, 'services', 'billing-service'));
    fs.writeFileSync(path.join(repo, 'services', 'billing-service', 'notes.txt'), 'x\n');
    expect(await run('service', { name: 'billing-service', yes: true }, repo)).toMatch(/services\/billing-service\/ already exists and is not empty/);
  });

  it('running new again with the same name fails cleanly and touches nothing', async () => {
    const repo = demoCopy();
    expect(await run('worker', { name: 'billing-worker', topic: 'payments', yes: true }, repo)).toBeNull();
    const before = snapshot(repo);
    expect(await run('worker', { name: 'billing-worker', topic: 'payments', yes: true }, repo)).toBe('--name: "billing-worker" already exists in this monorepo (a package or compose service has that name)');
    expect(snapshot(repo)).toEqual(before);
  });

  it('--dry-run writes nothing, lists the files and diffs the edited ones', async () => {
    const repo = demoCopy();
    const before = snapshot(repo);
    expect(await run('service', { name: 'billing-service', yes: true, dryRun: true }, repo)).toBeNull();
    expect(snapshot(repo)).toEqual(before);
    expect(stdout).toMatch(/^would create services\/billing-service\/ with node:22-alpine \(as in services\/booking-service\/Dockerfile\), pnpm 9\.12\.3\n  services\/billing-service\/Dockerfile\n/);
    expect(stdout).toContain('would update\n  docker-compose.yml\n  .github/workflows/docker-build.yml\n');
    expect(stdout).toContain('diff --git a/docker-compose.yml b/docker-compose.yml\n--- a/docker-compose.yml\n+++ b/docker-compose.yml\n@@ ');
    expect(stdout).toContain('+  billing-service:\n');
    // New files are listed, not diffed.
    expect(stdout).not.toContain('new file mode');
  });

  it('refuses a monorepo it cannot wire into: not pnpm, pnpm unpinned, no workspace file, a compose file that does not parse', async () => {
    const repo = (files: Record<string, string>) => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shipshape-new-'));
      temps.push(dir);
      for (const [f, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, f), text);
      return dir;
    };
    const opts = { name: 'x', yes: true };
    expect(await run('service', opts, repo({ 'package.json': '{"name": "r"}' }))).toMatch(/shipshape new scaffolds into pnpm monorepos, and this one uses npm/);
    expect(await run('service', opts, repo({ 'package.json': '{"name": "r"}', 'pnpm-workspace.yaml': 'packages: [a/*]\n' }))).toMatch(/no pinned pnpm version/);
    expect(await run('service', opts, repo({ 'package.json': '{"name": "r", "packageManager": "pnpm@9.1.0"}' }))).toMatch(/no pnpm-workspace\.yaml/);
    const demo = demoCopy();
    fs.writeFileSync(path.join(demo, 'docker-compose.yml'), 'services:\n  api:\n    image: [unclosed\n');
    const before = snapshot(demo);
    expect(await run('service', opts, demo)).toMatch(/^docker-compose\.yml:\d+: .*; fix it first \(shipshape new adds the new package to it\)$/);
    expect(snapshot(demo)).toEqual(before);
  });

  it('a write that fails half way restores every file it wrote', () => {
    const repo = demoCopy();
    const before = snapshot(repo);
    const plan: Plan = {
      kind: 'service',
      answers: { name: 'x', dir: 'services', db: 'none', port: 3100 },
      dir: 'services/x',
      changes: [
        { path: 'services/x/package.json', before: null, after: '{}\n', applied: [] },
        { path: 'docker-compose.yml', before: before['docker-compose.yml']!, after: 'services: {}\n', applied: [] },
        // A file under a file: cannot be written.
        { path: 'package.json/oops', before: null, after: '', applied: [] },
      ],
      conflicts: [],
      notes: [],
      using: '',
    };
    expect(() => applyPlan(repo, plan)).toThrow(/every file was restored, nothing was changed/);
    expect(snapshot(repo)).toEqual(before);
    expect(() => applyPlan(repo, { ...plan, conflicts: ['x'] })).toThrow(ConflictError);
  });
});

describe('values never become code', () => {
  it('js emits a single-quoted literal that evaluates back to the value', () => {
    for (const v of ["a'b", 'a"b', '${process.exit(1)}', '`x`', 'a\\', '\u2028', '{{x}}', "');process.exit(1);('"]) {
      const lit = js(v);
      expect(lit.startsWith("'") && lit.endsWith("'")).toBe(true);
      expect(new Function(`return ${lit};`)()).toBe(v);
    }
    expect(js(['A', 'B'])).toBe("['A', 'B']");
    expect(js(3005)).toBe('3005');
    expect(() => js({})).toThrow(TemplateValueError);
  });

  it('json emits JSON; word refuses anything but plain names and paths', () => {
    expect(JSON.parse(json('a"b'))).toBe('a"b');
    expect(json({ a: 1 }, 1)).toBe('{\n    "a": 1\n  }');
    expect(word('services/billing-service')).toBe('services/billing-service');
    expect(word('node:22-alpine')).toBe('node:22-alpine');
    for (const bad of ['a b', 'a"b', "a'b", '${x}', '$(id)', 'a;b', 'a\nb', '{{x}}', '']) expect(() => word(bad), bad).toThrow(TemplateValueError);
  });

  it('templates reach values only through js, json or word', () => {
    const root = templatesRoot();
    const files = fs.readdirSync(root, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.hbs'));
    expect(files.length).toBeGreaterThanOrEqual(14);
    const allowed = /^(\{\{\{(js|json) \w+( \d)?\}\}\}|\{\{word (\w+|this)\}\}|\{\{[#/](if|unless|each)( \w+)?\}\}|\{\{else\}\})$/;
    for (const f of files) {
      const text = fs.readFileSync(path.join(root, f), 'utf8');
      for (const m of text.matchAll(/\{\{\{?[^}]*\}\}\}?/g)) expect(m[0], `${f}: ${m[0]}`).toMatch(allowed);
    }
  });
});
