// SPEC "Bad input", through the built CLI as a user runs it: every malformed
// file of fixtures/bad-input gets one clear line naming it (and its line where
// known), the good files beside it keep their findings, nothing bad is written,
// and the exit codes follow SPEC. What git cannot carry (a 5 MB file, symlinks,
// modes) is made in each temp copy; fixtures/bad-input/README.md lists it all.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFile } from '../src/engine/analyze.js';
import { MAX_YAML_ALIASES, parse, ParseError } from '../src/engine/parsers.js';
import { parseShell } from '../src/engine/shell.js';
import { FIXTURES, REPO } from './helpers/fixtures.js';
import { copyDir, writeFiles } from './helpers/tmp.js';

const BIN = path.join(REPO, 'bin', 'shipshape.js');
const CORPUS = path.join(FIXTURES, 'bad-input');
const run = promisify(execFile);
/** A CLI run takes seconds; the margin is for cores shared with other test files. */
const CLI_TIMEOUT = 120_000;

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'shipshape-bad-input-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
let serial = 0;

// No GIT_* of a hook, and no repository above the temp folder: `fix` must see "not a git repository".
const ENV: Record<string, string> = Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined && !e[0].startsWith('GIT_')));
Object.assign(ENV, { NO_COLOR: '1', CI: 'true', GIT_CEILING_DIRECTORIES: tmp });

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

/** The built CLI in a child process; `user` runs it under another uid (root only). */
async function shipshape(args: string[], opts: { user?: { uid: number; gid: number }; env?: Record<string, string> } = {}): Promise<CliResult> {
  const t0 = performance.now();
  const options = { cwd: tmp, env: { ...ENV, ...opts.env }, maxBuffer: 64 * 1024 * 1024, ...(opts.user ?? {}) };
  try {
    const r = await run(process.execPath, [BIN, ...args], options);
    return { code: 0, stdout: r.stdout, stderr: r.stderr, ms: performance.now() - t0 };
  } catch (err) {
    const e = err as { code?: unknown; stdout?: string; stderr?: string };
    // A signal or a spawn failure is no exit code to assert on.
    if (typeof e.code !== 'number') throw err;
    return { code: e.code, stdout: e.stdout ?? '', stderr: e.stderr ?? '', ms: performance.now() - t0 };
  }
}

interface JsonFinding {
  rule: string;
  severity: string;
  file: string;
  line: number;
  message: string;
}
interface FixJson {
  changes: { path: string; created: boolean; transforms: string[]; diff: string }[];
  failures: { path: string; line: number; message: string }[];
  summary: { changed: number; unchanged: number; failed: number };
}

const SRC = 'services/api/src';
/** The server in the file outside the root: seeing its port means a symlink was followed out. */
const OUTSIDE_PORT = 4000;

/** Valid TypeScript of at least `bytes` bytes, as a code generator would write it. */
function generated(bytes: number): string {
  const lines: string[] = [];
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    const line = `export const value${i} = ${i};\n`;
    lines.push(line);
    size += line.length;
  }
  return lines.join('');
}

/**
 * A temp copy of the corpus plus what git cannot carry. Returns the copy and
 * the folder outside it that its symlinks point to.
 */
function corpus(name: string): { root: string; outside: string } {
  const base = path.join(tmp, `${++serial}-${name}`);
  const root = copyDir(CORPUS, path.join(base, 'repo'));
  const outside = path.join(base, 'outside');
  const db = "import mongoose from 'mongoose';\n\nexport async function connectDb() {\n  await mongoose.connect(process.env.MONGO_URL as string);\n}\n";
  const startsAfterDb = (from: string) =>
    `import express from 'express';\nimport { connectDb } from './${from}';\n\nconst app = express();\n\nasync function main() {\n  await connectDb();\n  app.listen(Number(process.env.PORT ?? 3000));\n}\n\nmain();\n`;
  writeFiles(outside, { 'db.ts': db, 'server.ts': `import http from 'node:http';\n\nhttp.createServer().listen(${OUTSIDE_PORT});\n` });
  writeFiles(path.join(root, SRC), {
    // Just over 5 MB, and valid TypeScript: only the size may stop it.
    'huge.ts': generated(5 * 1024 * 1024),
    // The same module twice: one real file inside the root, one symlink out of it.
    'db-inside.ts': db,
    'uses-inside.ts': startsAfterDb('db-inside'),
    'uses-outside.ts': startsAfterDb('db-outside'),
    'unreadable.ts': "import http from 'node:http';\n\nexport const hidden = http.createServer((_req, res) => res.end('ok'));\nhidden.listen(9400);\n",
  });
  const src = path.join(root, SRC);
  fs.symlinkSync('loop-b.ts', path.join(src, 'loop-a.ts'));
  fs.symlinkSync('loop-a.ts', path.join(src, 'loop-b.ts'));
  fs.symlinkSync('.', path.join(src, 'cycle'));
  fs.symlinkSync(path.join(outside, 'db.ts'), path.join(src, 'db-outside.ts'));
  fs.symlinkSync(path.join(outside, 'server.ts'), path.join(src, 'outside.ts'));
  fs.symlinkSync(outside, path.join(src, 'outdir'));
  fs.chmodSync(path.join(src, 'unreadable.ts'), 0o000);
  fs.chmodSync(path.join(src, 'readonly.ts'), 0o444);
  return { root, outside };
}

const SYMLINKS = ['loop-a.ts', 'loop-b.ts', 'cycle', 'db-outside.ts', 'outside.ts', 'outdir'].map((f) => `${SRC}/${f}`);

/** A file's bytes, or a mark where its mode keeps this user out. */
function readable(abs: string): string {
  try {
    return fs.readFileSync(abs).toString('base64');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EACCES') return 'unreadable';
    throw err;
  }
}

/** Every entry under dir with its mode and bytes; a symlink by its target, never followed. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string) => {
    for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      const abs = path.join(dir, r);
      const st = fs.lstatSync(abs);
      if (st.isSymbolicLink()) out[r] = `link ${fs.readlinkSync(abs)}`;
      else if (st.isDirectory()) walk(r);
      else out[r] = `${(st.mode & 0o777).toString(8)} ${readable(abs)}`;
    }
  };
  walk('');
  return out;
}

/** The parse-error findings the corpus must produce, as `file:line: message` (the finding's own message format). */
const PARSE_ERRORS = [
  // Before it was a parse error, `yaml` printed the fixed file by throwing, and the whole fix run died (exit 2).
  'docker-compose.badalias.yml:6: unknown alias *defualts: no anchor &defualts before it',
  'docker-compose.dupkeys.yml:5: Map keys must be unique',
  'docker-compose.list.yml:2: the top level is a list, but a compose file must be a map of keys',
  'docker-compose.tabs.yml:3: Tabs are not allowed as indentation',
  `${SRC}/binary.ts:2: binary content (a NUL byte); skipped`,
  // Symlinks out of the root and round a loop: reported by discovery, never followed (`cycle`, inside the root, is silent).
  `${SRC}/db-outside.ts:1: symlink to a path outside the root; not followed`,
  `${SRC}/huge.ts:1: file is 5.0 MB, over the 2 MB limit; skipped`,
  `${SRC}/latin1.ts:1: not UTF-8 text (byte 0xE9, latin-1?); skipped`,
  `${SRC}/loop-a.ts:1: symlink loop; skipped`,
  `${SRC}/loop-b.ts:1: symlink loop; skipped`,
  `${SRC}/outdir:1: symlink to a path outside the root; not followed`,
  `${SRC}/outside.ts:1: symlink to a path outside the root; not followed`,
  `${SRC}/syntax-error.ts:2: Unexpected token, expected ","`,
  `${SRC}/truncated.ts:2: Unexpected token, expected ","`,
  'services/worker/Dockerfile:9: unknown instruction FROBNICATE: docker build rejects it',
  // Before: every position after the CR pointed one line off, and `fix` wrote `--chown` into the CMD.
  'services/worker/Dockerfile.mac:1: stray carriage return (CR), which docker reads as part of the line; save the file with LF or CRLF line endings',
  // Before: the fixer appended `USER 1000:1000` inside the open heredoc, on every pass.
  'services/worker/Dockerfile.unclosed:3: heredoc <<EOF is never closed (no line "EOF" ends it): docker build rejects it',
];
const fileOf = (line: string) => line.slice(0, line.indexOf(':'));
const BAD_FILES = PARSE_ERRORS.map(fileOf);
/** The mode-000 file, for a user the system denies; root reads it like any other. */
const UNREADABLE = `${SRC}/unreadable.ts:1: cannot read: EACCES`;
const IS_ROOT = process.getuid?.() === 0;
/** PARSE_ERRORS with UNREADABLE in its place: the run's own order is by path. */
const WITH_UNREADABLE = [...PARSE_ERRORS, UNREADABLE].sort((a, b) => (fileOf(a) < fileOf(b) ? -1 : fileOf(a) > fileOf(b) ? 1 : 0));
/** What a run as this test's user reports. */
const EXPECTED = IS_ROOT ? PARSE_ERRORS : WITH_UNREADABLE;

/** Findings the good files must keep, whatever sits beside them: `file:line rule`. */
const KEPT = [
  'docker-compose.yml:3 compose-missing-healthcheck',
  'services/api/Dockerfile:1 runs-as-root',
  `${SRC}/index.ts:9 port-not-from-env`,
  // BOM and CRLF files are text like any other.
  `${SRC}/bom.ts:5 port-not-from-env`,
  `${SRC}/crlf.ts:5 port-not-from-env`,
  `${SRC}/readonly.ts:5 port-not-from-env`,
  // The module inside the root is followed: the server waits for its connect.
  `${SRC}/uses-inside.ts:8 listen-before-connect`,
];

const short = (f: JsonFinding) => `${f.file}:${f.line} ${f.rule}`;

describe('bad input: one clear line per bad file, and the run goes on', () => {
  let root: string;
  let outside: string;
  let before: Record<string, string>;
  let scan: CliResult;
  let findings: JsonFinding[];
  let dry: CliResult;
  let fixReport: FixJson;

  beforeAll(async () => {
    ({ root, outside } = corpus('shared'));
    before = snapshot(path.dirname(root));
    [scan, dry] = await Promise.all([shipshape(['scan', root, '--format', 'json']), shipshape(['fix', root, '--dry-run', '--format', 'json'])]);
    findings = (JSON.parse(scan.stdout) as { findings: JsonFinding[] }).findings;
    fixReport = JSON.parse(dry.stdout) as FixJson;
  }, CLI_TIMEOUT);

  it('scan reports each bad file as one parse-error naming the file and line', () => {
    const errors = findings.filter((f) => f.rule === 'parse-error');
    expect(errors.map((f) => f.message)).toEqual(EXPECTED);
    for (const f of errors) {
      expect(f.severity).toBe('risky');
      expect(f.message.startsWith(`${f.file}:${f.line}: `)).toBe(true);
    }
  });

  it('scan still reports the findings of every good file, and exits 1 on their blocking ones', () => {
    expect(findings.map(short)).toEqual(expect.arrayContaining(KEPT));
    expect(scan.code).toBe(1);
    expect(scan.stderr).toBe('');
  });

  it('an empty file is read and has nothing to report', () => {
    expect(findings.filter((f) => f.file === `${SRC}/empty.ts`)).toEqual([]);
  });

  it('a Dockerfile with an unknown instruction is reported at that line only; its heredoc lines are not instructions', () => {
    expect(findings.filter((f) => f.file === 'services/worker/Dockerfile').map(short)).toEqual(['services/worker/Dockerfile:9 parse-error']);
  });

  it('as root, a mode-000 file is read like any other (root is not denied); see the unprivileged test for EACCES', () => {
    if (!IS_ROOT) return;
    expect(findings.map(short)).toContain(`${SRC}/unreadable.ts:4 port-not-from-env`);
  });

  it('symlinks are never followed out of the root or round a loop: nothing they reach is read', () => {
    const reached = findings.filter((f) => SYMLINKS.some((s) => f.file === s || f.file.startsWith(`${s}/`)));
    // Only the line saying each was skipped; nothing read through one.
    expect(reached.every((f) => f.rule === 'parse-error' && f.file !== `${SRC}/cycle` && !f.file.includes('/outdir/'))).toBe(true);
    expect(findings.filter((f) => f.message.includes(String(OUTSIDE_PORT)))).toEqual([]);
    // The same module through a symlink out of the root is not read, so its connect is unknown.
    expect(findings.filter((f) => f.file === `${SRC}/uses-outside.ts` && f.rule === 'listen-before-connect')).toEqual([]);
  });

  it('reading through a symlink (an import, a COPY source) stops at the root and at a loop', () => {
    expect(readFile(root, `${SRC}/loop-a.ts`)).toEqual({ problem: 'symlink loop; skipped' });
    expect(readFile(root, `${SRC}/outside.ts`)).toEqual({ problem: 'symlink to a path outside the root; not followed' });
    expect(readFile(root, `${SRC}/outdir/server.ts`)).toEqual({ problem: 'symlink to a path outside the root; not followed' });
    // A link that stays inside the root is as good as the file it names.
    expect(readFile(root, `${SRC}/cycle/index.ts`)).toEqual(readFile(root, `${SRC}/index.ts`));
  });

  it('scan reports each symlink it skips (loop, outside the root) with a parse-error line; one inside the root is silent', () => {
    const skipped = findings.filter((f) => f.rule === 'parse-error' && f.message.includes('symlink')).map((f) => f.file);
    expect(skipped).toEqual(['db-outside.ts', 'loop-a.ts', 'loop-b.ts', 'outdir', 'outside.ts'].map((f) => `${SRC}/${f}`));
  });

  it('fix --dry-run lists every file it could not transform with its reason, on stdout and stderr, and exits 1', () => {
    expect(dry.code).toBe(1);
    expect(fixReport.failures.map((f) => `${f.path}:${f.line}: ${f.message}`)).toEqual(EXPECTED);
    for (const line of PARSE_ERRORS) expect(dry.stderr).toContain(`${line}\n`);
  });

  it('fix --dry-run changes the good files (BOM, CRLF and read-only ones too) and none of the bad ones', () => {
    const changed = fixReport.changes.map((c) => c.path);
    expect(changed).toEqual(
      expect.arrayContaining(['docker-compose.yml', 'services/api/Dockerfile', `${SRC}/index.ts`, `${SRC}/bom.ts`, `${SRC}/crlf.ts`, `${SRC}/readonly.ts`]),
    );
    for (const bad of [...BAD_FILES, ...SYMLINKS]) expect(changed).not.toContain(bad);
  });

  it('fix --dry-run writes nothing, inside the root or out of it', () => {
    expect(snapshot(path.dirname(root))).toEqual(before);
    expect(fs.existsSync(outside)).toBe(true);
  });
});

describe('fix over bad input loses no file', () => {
  it('writes the good files keeping BOM, CRLF, the heredoc and a read-only mode, and leaves every bad file and link byte for byte', async () => {
    const { root, outside } = corpus('write');
    const before = snapshot(root);
    const outsideBefore = snapshot(outside);
    const r = await shipshape(['fix', root]);
    expect(r.code).toBe(1);
    for (const line of PARSE_ERRORS) expect(r.stderr).toContain(`${line}\n`);
    const after = snapshot(root);

    for (const bad of [...BAD_FILES, ...SYMLINKS, `${SRC}/huge.ts`, `${SRC}/empty.ts`]) expect(after[bad], bad).toBe(before[bad]);
    expect(snapshot(outside)).toEqual(outsideBefore);

    const text = (rel: string) => fs.readFileSync(path.join(root, rel));
    const bom = text(`${SRC}/bom.ts`);
    expect([...bom.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(bom.toString('utf8')).toContain('process.env.PORT');
    const crlf = text(`${SRC}/crlf.ts`).toString('utf8');
    expect(crlf).toContain('process.env.PORT');
    expect(crlf.split('\r\n').some((l) => l.includes('\n'))).toBe(false);
    // Read-only: rewritten through the atomic rename, and still read-only (fixtures/bad-input/README.md).
    expect(text(`${SRC}/readonly.ts`).toString('utf8')).toContain('process.env.PORT');
    expect(fs.statSync(path.join(root, SRC, 'readonly.ts')).mode & 0o777).toBe(0o444);
    expect(text('services/api/Dockerfile').toString('utf8')).toContain('RUN <<EOF\necho "built from $(cat package.json | wc -c) bytes of manifest" > BUILD_INFO\nEOF\n');
    // No temp file, lock or journal of the run is left behind.
    expect(Object.keys(after).filter((f) => /(^|\/)\.[^/]*shipshape[^/]*$/.test(f))).toEqual([]);

    // What it wrote is done: a second run has nothing left to change, and the same failures.
    const again = await shipshape(['fix', root, '--dry-run', '--format', 'json']);
    const report = JSON.parse(again.stdout) as FixJson;
    expect(report.changes).toEqual([]);
    expect(report.failures.map((f) => `${f.path}:${f.line}: ${f.message}`)).toEqual(EXPECTED);
  }, CLI_TIMEOUT);
});

describe('an unreadable file, for a user the system does deny', () => {
  it('is one parse-error line with EACCES; the scan and the fix go on with every other file', async () => {
    const { root } = corpus('unreadable');
    // Root reads mode-000 files, so drop to `nobody`, who needs a way in to everything else.
    const user = IS_ROOT ? { uid: 65534, gid: 65534 } : undefined;
    if (IS_ROOT) for (let dir = root; dir !== path.dirname(tmp); dir = path.dirname(dir)) fs.chmodSync(dir, 0o755);
    const [scan, dry] = await Promise.all([
      shipshape(['scan', root, '--format', 'json'], { user }),
      shipshape(['fix', root, '--dry-run', '--format', 'json'], { user }),
    ]);
    const findings = (JSON.parse(scan.stdout) as { findings: JsonFinding[] }).findings;
    expect(findings.filter((f) => f.file === `${SRC}/unreadable.ts`).map((f) => f.message)).toEqual([UNREADABLE]);
    expect(findings.map(short)).toEqual(expect.arrayContaining(KEPT));
    expect(scan.code).toBe(1);
    const failures = (JSON.parse(dry.stdout) as FixJson).failures.map((f) => `${f.path}:${f.line}: ${f.message}`);
    expect(failures).toEqual(WITH_UNREADABLE);
    expect(dry.code).toBe(1);
  }, CLI_TIMEOUT);
});

describe('exit codes', () => {
  it('scan exits 0 when the only findings are parse errors (risky), 1 only for blocking findings', async () => {
    const r = await shipshape(['scan', CORPUS, '--service', 'worker', '--format', 'json']);
    const findings = (JSON.parse(r.stdout) as { findings: JsonFinding[] }).findings;
    expect(findings.map(short)).toEqual(['services/worker/Dockerfile:9 parse-error', 'services/worker/Dockerfile.mac:1 parse-error', 'services/worker/Dockerfile.unclosed:3 parse-error']);
    expect(r.code).toBe(0);
  }, CLI_TIMEOUT);
});

function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected an error');
}

/** Milliseconds of CPU this process spent since `start`. */
function cpuMs(start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
}

/** A generated Dockerfile of about `size` characters: one short RUN per line, the costly shape. */
function bigDockerfile(size: number): string {
  let text = 'FROM node:22-alpine\nWORKDIR /app\n';
  for (let i = 0; text.length < size; i++) text += `RUN echo step ${i} && test -d /app\n`;
  return `${text}CMD ["node", "dist/index.js"]\n`;
}

describe('text that is not plain ASCII', () => {
  it('a shell word after non-ASCII text is read whole (the shell parser counts bytes, strings count UTF-16 units)', () => {
    const words = (text: string) => parseShell(text).commands.map((c) => c.args);
    const script = (comment: string) => `#!/bin/sh\n# ${comment}\nexec node "$APP" "$@"\n`;
    // Before: ["exec","node","PP\" \"$","\"\n"] once a comment held é or an emoji.
    expect(words(script('démarrage 🚀'))).toEqual(words(script('start')));
    expect(words(script('start'))).toEqual([['exec', 'node', '"$APP"', '"$@"']]);
  });
});

/** Billion laughs: ten anchors, each a list of nine aliases of the one before (9^9 strings expanded). */
function aliasBomb(): string {
  const lines = ['x-a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]'];
  const names = 'abcdefghij';
  for (let i = 1; i < names.length; i++) lines.push(`x-${names[i]}: &${names[i]} [${Array(9).fill(`*${names[i - 1]}`).join(', ')}]`);
  lines.push('services:', '  api:', '    build: ./services/api', '    environment: *j');
  return `${lines.join('\n')}\n`;
}

describe('alias bombs and huge Dockerfiles finish in bounded time and memory, with a clear message', () => {
  it('a compose alias bomb is a parse error "too many aliases" at its first alias, in well under 5 s', () => {
    const cpu = process.cpuUsage();
    const error = thrown(() => parse('compose', 'docker-compose.yml', aliasBomb()));
    // CPU time, not wall time: other test files share the cores.
    expect(cpuMs(cpu)).toBeLessThan(5_000);
    expect(error).toBeInstanceOf(ParseError);
    expect(error.message).toBe('too many aliases: expanded, they pass the limit of 10000 (an alias bomb?)');
    expect((error as ParseError).line).toBe(2);
  });

  it('a flood of aliases is a parse error at the first one past the limit', () => {
    const flood = `x-port: &port 3000\nservices:\n  api:\n    image: api\n    ports: [${Array(MAX_YAML_ALIASES + 1).fill('*port').join(', ')}]\n`;
    expect(() => parse('compose', 'docker-compose.yml', flood)).toThrow(`too many aliases: more than ${MAX_YAML_ALIASES} in one file`);
    // A workflow goes through the same guard.
    expect(() => parse('workflow', '.github/workflows/ci.yml', aliasBomb())).toThrow(/too many aliases/);
  });

  it('near miss: a compose file whose 300 services each merge shared anchors parses', () => {
    const services = Array.from({ length: 300 }, (_, i) => `  svc-${i}:\n    <<: *defaults\n    environment: *env\n    image: app-${i}`);
    const text = `x-env: &env\n  NODE_ENV: production\nx-defaults: &defaults\n  restart: unless-stopped\n  environment: *env\nservices:\n${services.join('\n')}\n`;
    const parsed = parse('compose', 'docker-compose.yml', text);
    expect(parsed.kind).toBe('compose');
  });

  it('a Dockerfile over the size or instruction limit is a parse error, in well under 5 s', () => {
    const cpu = process.cpuUsage();
    expect(() => parse('dockerfile', 'Dockerfile', bigDockerfile(1024 * 1024))).toThrow(/^Dockerfile is 1\.0 MB, over the 256 KB limit$/);
    const many = `FROM node:22-alpine\n${Array.from({ length: 1_000 }, (_, i) => `RUN echo ${i}`).join('\n')}\n`;
    const error = thrown(() => parse('dockerfile', 'Dockerfile', many));
    expect(error.message).toBe('more than 1000 instructions, over the limit');
    expect((error as ParseError).line).toBe(1_001);
    expect(cpuMs(cpu)).toBeLessThan(5_000);
  });

  it('scan and fix of a repo with an alias bomb and a 1 MB Dockerfile finish quickly in a 128 MB heap and report both', async () => {
    const root = path.join(tmp, `${++serial}-bombs`);
    writeFiles(root, {
      'package.json': '{ "name": "bombs", "private": true, "packageManager": "pnpm@9.12.3" }\n',
      'pnpm-workspace.yaml': 'packages:\n  - services/*\n',
      'docker-compose.yml': aliasBomb(),
      'services/api/package.json': '{ "name": "api", "dependencies": { "express": "^5.1.0" } }\n',
      'services/api/src/index.ts': fs.readFileSync(path.join(CORPUS, SRC, 'index.ts'), 'utf8'),
      'services/big/package.json': '{ "name": "big" }\n',
      'services/big/Dockerfile': bigDockerfile(1024 * 1024),
    });
    // Before the limits, this Dockerfile alone took minutes and ran out of a 256 MB heap.
    const env = { NODE_OPTIONS: '--max-old-space-size=128' };
    const [scan, dry] = await Promise.all([shipshape(['scan', root, '--format', 'json'], { env }), shipshape(['fix', root, '--dry-run', '--format', 'json'], { env })]);
    const expected = [
      'docker-compose.yml:2: too many aliases: expanded, they pass the limit of 10000 (an alias bomb?)',
      'services/big/Dockerfile:1: Dockerfile is 1.0 MB, over the 256 KB limit',
    ];
    const findings = (JSON.parse(scan.stdout) as { findings: JsonFinding[] }).findings;
    expect(findings.filter((f) => f.rule === 'parse-error').map((f) => f.message)).toEqual(expected);
    expect(findings.map(short)).toContain('services/api/src/index.ts:9 port-not-from-env');
    expect((JSON.parse(dry.stdout) as FixJson).failures.map((f) => `${f.path}:${f.line}: ${f.message}`)).toEqual(expected);
    // About a second each on an idle machine; the margin is for cores shared
    // with other test files. Before the limits: over 3 minutes, then out of memory.
    expect(scan.ms).toBeLessThan(60_000);
    expect(dry.ms).toBeLessThan(60_000);
  }, CLI_TIMEOUT);
});
