// User input never reaches generated code, YAML, JSON or a Dockerfile
// unescaped. For every hostile value (a table of them) and every option that
// takes text (name, dir, port, topic, group), `shipshape new` either refuses
// it (one error naming the flag, exit 2, nothing written) or the value is one
// Kafka or a folder legitimately allows and lands only as a literal.
//
// "Only as a literal" is proved against a baseline run whose values are plain
// markers: the output for the value must be the baseline's output with each
// marker replaced by the value *inside parsed data*, not text. The generated
// TypeScript parses with @babel/parser to the same tree, the value only in
// StringLiteral nodes (a port only in a NumericLiteral); JSON and YAML parse
// back to the same data under YAML 1.2 and 1.1; a Dockerfile's RUN lines
// parse to the same shell words; other text differs only where the marker was.
//
// test/new-validation.test.ts covers each option's rules and messages; this
// file covers the whole way from input to written file.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse as babelParse } from '@babel/parser';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { parse as yamlParse, parseAllDocuments } from 'yaml';
import { newCommand, type NewOptions } from '../src/commands/new.js';
import { parseDockerfile } from '../src/engine/dockerfile.js';
import { UsageError } from '../src/engine/pipeline.js';
import { copyDir } from './helpers/tmp.js';

const REPO = path.resolve(import.meta.dirname, '..');
const BIN = path.join(REPO, 'bin', 'shipshape.js');
const DEMO = path.join(REPO, 'fixtures', 'monorepo');

type Flag = 'name' | 'dir' | 'port' | 'topic' | 'group';
const FLAGS: Flag[] = ['name', 'dir', 'port', 'topic', 'group'];

/** Values that must never reach a file raw. */
const HOSTILE: string[] = [
  // paths
  '../evil', 'a/../../b', '..', '.', 'a/b', '/etc', '/etc/passwd', 'a\\b', '..\\..\\x', 'C:x', '~', '~/x', 'a//b',
  // spaces and quotes
  'a b', ' lead', 'trail ', "a'b", 'a"b', 'a`id`b', "x'); process.exit(1); ('",
  // interpolation: JS, shell, compose, GitHub Actions, handlebars
  '${process.exit(1)}', '$HOME', '$(id)', '${{ secrets.TOKEN }}', '{{name}}', '{{{name}}}', '}}', '{{', 'a}}b', 'a{{b',
  // line breaks and other control or invisible characters
  'a\nb', 'a\r\nb', 'a\rb', 'a\tb', 'a\u0000b', 'a\u0007b', '\u001b[31mred', 'a\u007fb', 'a\u009bb', 'a\u0085b', 'a\u2028b', 'a\u2029b', 'a\u202eb', 'a\u200bb', '\ufeffa',
  // shell, YAML and markdown syntax
  'a;b', 'a|b', 'a&b', 'a>b', 'a<b', 'a#b', 'a*b', 'a?b', 'a[0]', 'a:b', 'a: b', 'a,b', 'a=b', 'a%b', 'a!b', '&anchor', '*alias', '- item', '[x]', '{x: 1}', 'a@b', 'a+b',
  // look-alikes and non-ASCII
  'a／b', 'аbc', 'éa', 'a\u00a0b', '٣٠٠٥',
  // options in disguise
  '-rf', '--help',
  '',
];

/** Hostile values an option legitimately allows (Kafka names may hold . _ - anywhere); they must come out as literals. */
const ALLOWED: Partial<Record<Flag, string[]>> = { dir: ['a/b'], topic: ['-rf', '--help'], group: ['-rf', '--help'] };

/** More values that are wrong for a port. */
const HOSTILE_PORTS = ['3005 ', ' 3005', '3005\n', '0x1000', '1e4', '3_000', '+3005', '-1', '3005.0', '80', '65536', '99999', 'Infinity', 'NaN'];

/** Characters an error message must never print raw: it goes to a terminal. */
const RAW_UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/;

const temps: string[] = [];
let stdout = '';

function demoCopy(): string {
  const dir = copyDir(DEMO);
  temps.push(dir);
  return dir;
}

/** Every file under root: path → content (a symlink → its target, never followed). */
function files(root: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(path.join(root, dir), { withFileTypes: true })) {
      const rel = path.posix.join(dir, e.name);
      if (e.isSymbolicLink()) out.set(rel, `-> ${fs.readlinkSync(path.join(root, rel))}`);
      else if (e.isDirectory()) walk(rel);
      else out.set(rel, fs.readFileSync(path.join(root, rel), 'utf8'));
    }
  };
  walk('');
  return out;
}

function unchanged(root: string, before: Map<string, string>): void {
  const after = files(root);
  const changed = [...new Set([...before.keys(), ...after.keys()])].filter((p) => before.get(p) !== after.get(p));
  expect(changed, 'files written').toEqual([]);
}

/** The files `new` created or changed: path → content. */
function written(before: Map<string, string>, root: string): Map<string, string> {
  return new Map([...files(root)].filter(([p, text]) => before.get(p) !== text));
}

function optionsFor(kind: 'service' | 'worker', values: Partial<Record<Flag, string>>): NewOptions {
  const base: NewOptions = kind === 'service' ? { name: 'safe-service', dir: 'services', port: '4321', db: 'mongo' } : { name: 'safe-worker', dir: 'services', topic: 'safe-topic', group: 'safe-group', db: 'mongo' };
  return { ...base, ...values };
}

const kindOf = (flag: Flag) => (flag === 'topic' || flag === 'group' ? 'worker' : 'service');

/** Runs `new` in-process; the UsageError message (what the CLI prints with exit 2), or null on success. */
async function runNew(kind: string, opts: NewOptions, root: string): Promise<string | null> {
  try {
    expect(await newCommand(kind, { ...opts, root })).toBe(0);
    return null;
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    return err.message;
  }
}

/** The CLI in a child process (async: vitest keeps talking to this worker meanwhile). */
function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { cwd: REPO, encoding: 'utf8', timeout: 60_000, env: { ...process.env, NO_COLOR: '1' } }, (err, out, errOut) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout: out, stderr: errOut });
    });
  });
}

/** At most `n` promises at once: the machine has two cores and other tests. */
async function limited<T, R>(items: T[], n: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!);
      }
    }),
  );
  return out;
}

// ---- proofs that a value is only a literal ----

/** Baseline marker → the value that replaced it. A port maps as text and as a number. */
type Pairs = [string, string][];

function mapString(s: string, pairs: Pairs): string {
  return pairs.reduce((text, [from, to]) => text.split(from).join(to), s);
}

const POSITION_KEYS = new Set(['start', 'end', 'loc', 'range', 'extra', 'leadingComments', 'trailingComments', 'innerComments', 'tokens', 'errors']);

/**
 * `value` with `pairs` applied to every string (keys too) and to numbers that
 * equal a numeric marker; for a babel tree (`ast`), without positions. `seen`
 * collects where a marker was found (node type and field), to show the value
 * lands nowhere but in literals.
 */
function mapData(value: unknown, pairs: Pairs, ast = false, seen?: Set<string>, owner = 'root', key = ''): unknown {
  if (typeof value === 'string') {
    const mapped = mapString(value, pairs);
    if (mapped !== value) seen?.add(`${owner}.${key}`);
    return mapped;
  }
  if (typeof value === 'number') {
    const pair = pairs.find(([from]) => /^\d+$/.test(from) && Number(from) === value);
    if (pair) seen?.add(`${owner}.${key}`);
    return pair ? Number(pair[1]) : value;
  }
  if (Array.isArray(value)) return value.map((v) => mapData(v, pairs, ast, seen, owner, key));
  if (value && typeof value === 'object') {
    const type = typeof (value as { type?: unknown }).type === 'string' ? (value as { type: string }).type : owner;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (ast && POSITION_KEYS.has(k)) continue;
      out[mapString(k, pairs)] = mapData(v, pairs, ast, seen, type, k);
    }
    return out;
  }
  return value;
}

function parseTs(text: string, file: string): unknown {
  try {
    return babelParse(text, { sourceType: 'module', plugins: ['typescript'] });
  } catch (err) {
    throw new Error(`${file} does not parse as TypeScript: ${(err as Error).message}`);
  }
}

/** Every way a file of the output is proved to hold the values only as literals. */
function proveLiteral(file: string, text: string, baseline: string, pairs: Pairs): void {
  const same = (actual: unknown, expected: unknown, how: string) => expect(actual, `${file} (${how})`).toEqual(expected);
  if (file.endsWith('.ts')) {
    const seen = new Set<string>();
    const expected = mapData(parseTs(baseline, file), pairs, true, seen);
    same(mapData(parseTs(text, file), [], true), expected, 'TypeScript tree');
    // Where the baseline markers were, in the tree: nowhere but inside literals.
    const numeric = pairs.some(([from]) => /^\d+$/.test(from));
    for (const where of seen) expect(['StringLiteral.value', ...(numeric ? ['NumericLiteral.value'] : [])], `${file}: a value reaches ${where}`).toContain(where);
  } else if (file.endsWith('.json')) {
    same(JSON.parse(text), mapData(JSON.parse(baseline), pairs), 'JSON data');
  } else if (/\.ya?ml$/.test(file)) {
    // Every document: a Kubernetes manifest holds a Deployment and a Service.
    const all = (t: string, version: '1.1' | '1.2') => parseAllDocuments(t, { version }).map((d) => d.toJS());
    for (const version of ['1.2', '1.1'] as const) same(all(text, version), mapData(all(baseline, version), pairs), `YAML ${version} data`);
  } else {
    if (path.posix.basename(file) === 'Dockerfile') {
      const shell = (t: string) => {
        const tree = parseDockerfile(t);
        return tree.instructions.map((i) => ({ keyword: i.keyword, exec: i.execForm, words: i.keyword === 'RUN' ? (tree.shellOf(i)?.commands.map((c) => c.args) ?? 'unparsable') : null }));
      };
      same(shell(text), mapData(shell(baseline), pairs), 'Dockerfile instructions and RUN words');
    }
    same(text, mapString(baseline, pairs), 'text');
  }
}

/** The output of a run with `values` against the baseline output: same files (paths mapped), each proved. */
function proveRun(out: Map<string, string>, base: Map<string, string>, pairs: Pairs): void {
  expect([...out.keys()].sort(), 'files written').toEqual([...base.keys()].map((p) => mapString(p, pairs)).sort());
  expect(out.size).toBeGreaterThanOrEqual(9);
  for (const [p, text] of base) proveLiteral(mapString(p, pairs), out.get(mapString(p, pairs))!, text, pairs);
}

// ---- the runs ----

/** Markers of the baseline runs: plain text found nowhere else in the output. */
const MARK: Record<Flag, string> = { name: 'zq-mark-name', dir: 'zq-mark-dir', port: '4321', topic: 'zq-mark-topic', group: 'zq-mark-group' };
const baselines = new Map<'service' | 'worker', Map<string, string>>();

function marks(kind: 'service' | 'worker'): NewOptions {
  const { name, dir, port, topic, group } = MARK;
  return kind === 'service' ? { name, dir, port, db: 'mongo' } : { name, dir, topic, group, db: 'mongo' };
}

beforeEach(() => {
  stdout = '';
  Object.defineProperty(process.stdin, 'isTTY', { value: false, configurable: true });
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    stdout += String(chunk);
    return true;
  });
});
afterEach(() => vi.restoreAllMocks());
afterAll(() => temps.splice(0).forEach((t) => fs.rmSync(t, { recursive: true, force: true })));

/** A run with the baseline's markers, except for `values`. */
async function generate(kind: 'service' | 'worker', values: Partial<Record<Flag, string>>): Promise<{ message: string | null; out: Map<string, string> }> {
  const root = demoCopy();
  const before = files(root);
  const message = await runNew(kind, { ...marks(kind), ...values }, root);
  return { message, out: written(before, root) };
}

beforeAll(async () => {
  Object.defineProperty(process.stdin, 'isTTY', { value: false, configurable: true });
  const quiet = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  for (const kind of ['service', 'worker'] as const) {
    const { message, out } = await generate(kind, {});
    expect(message, `baseline ${kind}`).toBeNull();
    baselines.set(kind, out);
  }
  quiet.mockRestore();
});

describe('hostile values are refused: one error naming the flag, nothing written', () => {
  const cases: [Flag, string][] = FLAGS.flatMap((flag) => [...HOSTILE, ...(flag === 'port' ? HOSTILE_PORTS : [])].filter((v) => !ALLOWED[flag]?.includes(v)).map((v): [Flag, string] => [flag, v]));

  it(`refuses ${cases.length} flag values, each with one line that names the flag and prints the value escaped`, async () => {
    const root = demoCopy();
    const before = files(root);
    const problems: string[] = [];
    for (const [flag, value] of cases) {
      const message = await runNew(kindOf(flag), optionsFor(kindOf(flag), { [flag]: value }), root);
      const label = `--${flag} ${JSON.stringify(value)}`;
      if (message === null) problems.push(`${label}: accepted`);
      else if (!message.startsWith(`--${flag}: `)) problems.push(`${label}: message does not name the flag: ${JSON.stringify(message)}`);
      else if (message.includes('\n') || RAW_UNPRINTABLE.test(message)) problems.push(`${label}: message is not one printable line: ${JSON.stringify(message)}`);
    }
    expect(problems).toEqual([]);
    unchanged(root, before);
    expect(stdout).toBe('');
  });

  it('says what is wrong with the value, and says it before reading the monorepo', async () => {
    const root = demoCopy();
    const cases: [string, NewOptions, RegExp][] = [
      ['service', { name: 'a b' }, /^--name: "a b" is not kebab-case \(a space is not allowed\)/],
      ['service', { name: 'billing\u202eecivres' }, /^--name: "billing\\u202eecivres" is not kebab-case \(the invisible or control character \\u202e is not allowed\)/],
      ['service', { name: 'con' }, /^--name: "con" is a device name on Windows/],
      ['service', { name: 'x', dir: 'apps/.hidden' }, /^--dir: "apps\/\.hidden": "\.hidden" \(starts with "\."\) is not allowed; each folder name/],
      ['service', { name: 'x', dir: 'apps/nul.d' }, /^--dir: "apps\/nul\.d": "nul\.d" is a device name on Windows/],
      ['service', { name: 'x', dir: 'a${b}' }, /^--dir: "a\$\{b\}": "\$" \(template syntax\) is not allowed/],
      ['worker', { name: 'w', topic: 'a\nb' }, /^--topic: "a\\nb" is not a valid Kafka topic \(a line break is not allowed\)/],
      ['worker', { name: 'w', topic: 't', group: "it's" }, /^--group: "it's" is not a valid Kafka group \(a quote \(single\) is not allowed\)/],
      ['worker', { name: 'w', topic: 'x'.repeat(300) }, /^--topic: "x{40}…" is not a valid Kafka topic \(it is longer than 249 characters\)/],
    ];
    for (const [kind, opts, message] of cases) expect(await runNew(kind, { yes: true, ...opts }, root), JSON.stringify(opts)).toMatch(message);
    // Not a monorepo at all: the bad name is still what is reported, since it is checked first.
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'shipshape-empty-'));
    temps.push(empty);
    expect(await runNew('service', { name: '../x', yes: true }, empty)).toMatch(/^--name: "\.\.\/x" must not contain path separators/);
    expect(await runNew('service', { name: 'fine', yes: true }, empty)).toMatch(/shipshape new scaffolds into pnpm monorepos/);
  });

  it('refuses them from an --answers file too, including what a command line cannot carry (NUL, non-strings)', async () => {
    const root = demoCopy();
    const before = files(root);
    const answers = path.join(root, '..', `${path.basename(root)}-answers.json`);
    temps.push(answers);
    const bad: [Flag, unknown][] = [
      ['name', 'a\u0000b'], ['name', 42], ['name', ['x']], ['name', { toString: 'x' }], ['name', true],
      ['dir', 'a\u0000b'], ['dir', ['services']], ['port', 3005.5], ['port', '3005\u0000'], ['port', -3005], ['port', 1e308], ['port', [3005]],
      ['topic', 'a\u0000b'], ['topic', 7], ['group', null], ['group', 'a\u2028b'],
    ];
    for (const [flag, value] of bad) {
      const kind = kindOf(flag);
      const { [flag]: _omit, ...rest } = optionsFor(kind, {});
      fs.writeFileSync(answers, JSON.stringify({ [flag]: value }));
      const message = await runNew(kind, { ...rest, answers, yes: true }, root);
      const label = `${flag} ${JSON.stringify(value)}`;
      expect(message?.startsWith(`${answers}: "${flag}": `), `${label}: ${JSON.stringify(message)}`).toBe(true);
      expect(RAW_UNPRINTABLE.test(message!) || message!.includes('\n'), `${label}: ${JSON.stringify(message)}`).toBe(false);
    }
    unchanged(root, before);
  });

  it('through the real CLI: exit 2, one line on stderr naming the flag, nothing on stdout, nothing written', async () => {
    const root = demoCopy();
    const before = files(root);
    const answers = path.join(root, '..', `${path.basename(root)}-nul.json`);
    temps.push(answers);
    fs.writeFileSync(answers, JSON.stringify({ name: 'a\u0000b', dir: 'services', port: 4321, db: 'none' }));
    const runs: [string, string[]][] = [
      ['--name', ['service', '--name=../evil']],
      ['--name', ['service', '--name=a\u001b[31mb']],
      ['--dir', ['service', '--name=safe-service', '--dir=../../etc']],
      ['--dir', ['service', '--name=safe-service', '--dir=a b']],
      ['--port', ['service', '--name=safe-service', '--port=3005\n']],
      ['--port', ['service', '--name=safe-service', '--port=0x1000']],
      ['--topic', ['worker', '--name=safe-worker', '--topic=${process.exit(1)}']],
      ['--topic', ['worker', '--name=safe-worker', '--topic=a\nb']],
      ['--group', ['worker', '--name=safe-worker', '--topic=t', "--group=x'); process.exit(1); ('"]],
      ['--group', ['worker', '--name=safe-worker', '--topic=t', '--group={{group}}']],
      [`${answers}: "name"`, ['service', `--answers=${answers}`]],
    ];
    const results = await limited(runs, 2, ([, args]) => cli(['new', ...args, '--yes', '--root', root]));
    runs.forEach(([flag, args], i) => {
      const r = results[i]!;
      const label = JSON.stringify(args);
      expect(r.code, `${label}\n${r.stderr}`).toBe(2);
      expect(r.stdout, label).toBe('');
      expect(r.stderr.startsWith(`shipshape: ${flag}: `), `${label}: ${JSON.stringify(r.stderr)}`).toBe(true);
      expect(r.stderr.endsWith('\n') && r.stderr.indexOf('\n') === r.stderr.length - 1, `${label}: one line: ${JSON.stringify(r.stderr)}`).toBe(true);
      expect(RAW_UNPRINTABLE.test(r.stderr.slice(0, -1)), `${label}: ${JSON.stringify(r.stderr)}`).toBe(false);
    });
    unchanged(root, before);
  });

  it('refuses a folder that leads out of the root through a symlink, and writes nothing there', async () => {
    const root = demoCopy();
    const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'shipshape-outside-'));
    temps.push(outside);
    fs.symlinkSync(outside, path.join(root, 'escape'), 'dir');
    fs.symlinkSync(path.join(root, 'nowhere-target'), path.join(root, 'dangling'), 'dir');
    const before = files(root);
    expect(await runNew('service', optionsFor('service', { dir: 'escape' }), root)).toMatch(/^cannot create escape\/safe-service: nothing was written, because:\n {2}escape is a symlink to .*, outside the monorepo/);
    expect(await runNew('service', optionsFor('service', { dir: 'dangling/x' }), root)).toMatch(/dangling is a symlink to a path that does not exist/);
    expect(fs.readdirSync(outside)).toEqual([]);
    unchanged(root, before);
  });
});

describe('allowed values with odd characters come out only as literals', () => {
  // Each row changes several options of the baseline at once; the markers are distinct, so each maps on its own.
  const rows: ['service' | 'worker', Partial<Record<Flag, string>>][] = [
    ['service', { name: 'constructor', dir: 'apps.v2', port: '65535' }],
    ['service', { name: 'true', dir: 'true/no', port: '1024' }],
    ['service', { name: 'no', dir: 'a..b' }],
    ['service', { name: 'y', dir: '_x/y.z' }],
    ['service', { name: 'n', dir: 'a/b', port: '04321' }],
    ['service', { name: 'null', dir: 'e1/0x10' }],
    ['worker', { name: 'on', topic: '-rf', group: '--help' }],
    ['worker', { topic: '--help', group: '-rf' }],
    ['worker', { topic: '..x', group: '__proto__' }],
    ['worker', { topic: 'true', group: 'null' }],
    ['worker', { topic: '1e3', group: '0' }],
    ['worker', { topic: 'a.b_c-D', group: '_' }],
    ['worker', { topic: 't'.repeat(249), group: 'constructor' }],
  ];

  it.each(rows)('%s %j', async (kind, values) => {
    const { message, out } = await generate(kind, values);
    expect(message).toBeNull();
    const pairs: Pairs = Object.entries(values).map(([flag, v]) => [MARK[flag as Flag], flag === 'port' ? String(Number(v)) : v!]);
    proveRun(out, baselines.get(kind)!, pairs);
  });

  it('a name that Object.prototype also has ("constructor") takes the default port like any other', async () => {
    const root = demoCopy();
    expect(await runNew('service', { name: 'constructor', yes: true }, root)).toBeNull();
    const compose = yamlParse(fs.readFileSync(path.join(root, 'docker-compose.yml'), 'utf8')) as { services: Record<string, { ports: string[] }> };
    expect(new Map(Object.entries(compose.services)).get('constructor')?.ports).toEqual(['3005:3005']);
  });

  it('through the real CLI, flags in --flag=value form', async () => {
    const root = demoCopy();
    const before = files(root);
    const values = { name: 'n', dir: 'a..b', topic: '--help', group: '-rf' };
    const r = await cli(['new', 'worker', ...Object.entries(values).map(([k, v]) => `--${k}=${v}`), '--db=mongo', '--root', root]);
    expect(r.stdout).toMatch(/^created a\.\.b\/n\/ with /);
    expect(r.code, r.stderr).toBe(0);
    const pairs: Pairs = Object.entries(values).map(([flag, v]) => [MARK[flag as Flag], v]);
    proveRun(written(before, root), baselines.get('worker')!, pairs);
  });

  it('the proof catches a value that escapes its literal', () => {
    const base = baselines.get('worker')!;
    const file = [...base.keys()].find((p) => p.endsWith('src/index.ts'))!;
    // What a template with a raw {{{topic}}} inside quotes would produce for this topic.
    const topic = "x'; process.exit(1); '";
    const leaked = base.get(file)!.split(MARK.topic).join(topic);
    expect(() => proveLiteral(file, leaked, base.get(file)!, [[MARK.topic, topic]])).toThrow(/TypeScript tree/);
    // A compose key written plain: YAML 1.2 reads "no", YAML 1.1 (PyYAML, older compose) reads false.
    const yamlFile = 'docker-compose.yml';
    const yamlLeak = base.get(yamlFile)!.split(MARK.name).join('no');
    expect(() => proveLiteral(yamlFile, yamlLeak, base.get(yamlFile)!, [[MARK.name, 'no']])).toThrow(/YAML 1\.1/);
    // A name that is shell syntax in a RUN line.
    const docker = [...base.keys()].find((p) => p.endsWith('/Dockerfile'))!;
    const dockerLeak = base.get(docker)!.split(MARK.name).join('a;b');
    expect(() => proveLiteral(docker, dockerLeak, base.get(docker)!, [[MARK.name, 'a;b']])).toThrow(/RUN words/);
  });
});
