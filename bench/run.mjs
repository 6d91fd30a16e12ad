#!/usr/bin/env node
// The benchmark of issue 11. Generates a synthetic monorepo of N services
// (bench/synth.mjs) and measures, each as its own child process:
//   1. shipshape scan            (--format json --output /dev/null)
//   2. shipshape fix --dry-run   (stdout to /dev/null)
//   3. plain jscodeshift running the six code fixers one after another (-d -s)
//   4. the parse floor: read + @babel/parser every source file (bench/floor.mjs)
// plus scan and fix on N/4 services for the memory-growth ratio. Prints wall
// time, peak RSS (largest single process, via bench/rss-hook.mjs) and the
// ratios against the issue's targets, and writes bench/results.md. Figures
// only: a missed target never fails the run; a crashed measurement does.
//
//   node bench/run.mjs [N=500] [--jobs J] [--skip-jscodeshift] [--runs R] [--keep]
//
// Build first (npm run build): it runs dist/, not the sources.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { CODE_FIXERS, synthesize } from './synth.mjs';
import { SOURCE_EXTENSIONS } from './floor.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..');
const floorScript = path.join(here, 'floor.mjs');
const hook = path.join(here, 'rss-hook.mjs');
const jscodeshiftBin = path.join(repo, 'node_modules', 'jscodeshift', 'bin', 'jscodeshift.js');
const resultsFile = path.join(here, 'results.md');

const TARGETS = {
  scanFloor: 1.5,
  fixFloor: 2,
  jscodeshiftFix: 10,
  rssMb: 300,
  rssTargetN: 500,
  rssGrowth: 1.3,
};

// ---------------------------------------------------------------------------
// Arguments

function usage(message) {
  if (message) process.stderr.write(`bench: ${message}\n`);
  process.stderr.write('usage: node bench/run.mjs [N=500] [--jobs J] [--skip-jscodeshift] [--runs R] [--keep]\n');
  process.exit(2);
}

function parseArgs(argv) {
  const opts = { n: 500, jobs: null, skipJscodeshift: false, runs: 1, keep: false };
  const positiveInt = (flag, v) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) usage(`${flag} ${v ?? ''}: expected a positive integer`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (/^\d+$/.test(a)) opts.n = positiveInt('N', a);
    else if (a === '--jobs' || a === '-j') opts.jobs = positiveInt('--jobs', argv[++i]);
    else if (a.startsWith('--jobs=')) opts.jobs = positiveInt('--jobs', a.slice(7));
    else if (a === '--runs') opts.runs = positiveInt('--runs', argv[++i]);
    else if (a.startsWith('--runs=')) opts.runs = positiveInt('--runs', a.slice(7));
    else if (a === '--skip-jscodeshift') opts.skipJscodeshift = true;
    else if (a === '--keep') opts.keep = true;
    else if (a === '--help' || a === '-h') usage();
    else usage(`unknown argument ${a}`);
  }
  return opts;
}

// ---------------------------------------------------------------------------
// Measuring one child process tree

const log = (line) => process.stderr.write(`${line}\n`);
let rssFiles = 0;

/**
 * Runs node with args, hooked for peak RSS. Resolves to wall time, the largest
 * maxRSS of any node process of the tree (KB), how many reported, exit status.
 */
function runOnce(args, { cwd, stdin = null, captureStdout = false }) {
  const rssFile = path.join(os.tmpdir(), `shipshape-bench-rss-${process.pid}-${++rssFiles}.txt`);
  const env = {
    ...process.env,
    CI: 'true',
    NO_COLOR: '1',
    NODE_OPTIONS: `--import=${pathToFileURL(hook).href}`,
    SHIPSHAPE_BENCH_RSS_FILE: rssFile,
  };
  return new Promise((resolve) => {
    const start = process.hrtime.bigint();
    const child = spawn(process.execPath, args, { cwd, env, stdio: [stdin === null ? 'ignore' : 'pipe', captureStdout ? 'pipe' : 'ignore', 'pipe'] });
    let stdout = '';
    let stderr = '';
    if (captureStdout) child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => {
      stderr += d;
      if (stderr.length > 16384) stderr = stderr.slice(-8192);
    });
    if (stdin !== null) child.stdin.end(stdin);
    child.on('close', (code, signal) => {
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      let rssKb = 0;
      let processes = 0;
      try {
        for (const line of fs.readFileSync(rssFile, 'utf8').split('\n')) {
          const kb = Number(line.split('\t')[1]);
          if (!Number.isFinite(kb) || !line) continue;
          processes++;
          rssKb = Math.max(rssKb, kb);
        }
        fs.rmSync(rssFile, { force: true });
      } catch {
        // no process reported (killed before exit): RSS unknown
      }
      resolve({ ms, rssKb, processes, code, signal, stdout, stderr: stderr.slice(-4096) });
    });
  });
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** One measurement: `runs` repetitions of a sequence of processes (jscodeshift: six). */
async function measure(label, steps, { runs, okCodes = [0] }) {
  const totals = [];
  let rssKb = 0;
  let processes = 0;
  const errors = [];
  const perStep = steps.map(() => []);
  let last = null;
  for (let r = 0; r < runs; r++) {
    let total = 0;
    for (const [k, step] of steps.entries()) {
      const out = await runOnce(step.args, step);
      last = out;
      total += out.ms;
      perStep[k].push(out.ms);
      rssKb = Math.max(rssKb, out.rssKb);
      processes = Math.max(processes, out.processes);
      if (out.signal || !okCodes.includes(out.code)) {
        errors.push(`${step.name ?? label}: ${out.signal ? `killed by ${out.signal}` : `exit ${out.code}`}${out.stderr ? `\n${out.stderr.trim()}` : ''}`);
      }
    }
    totals.push(total);
  }
  const result = {
    label,
    ms: median(totals),
    rssKb,
    processes,
    errors,
    steps: steps.map((s, k) => ({ name: s.name, ms: median(perStep[k]) })),
    last,
  };
  log(`  ${label.padEnd(34)} ${fmtSec(result.ms).padStart(9)}  ${fmtMb(result.rssKb).padStart(8)}${errors.length ? '  ERROR' : ''}`);
  return result;
}

// ---------------------------------------------------------------------------
// Formatting

const fmtSec = (ms) => (ms >= 100_000 ? `${(ms / 1000).toFixed(0)} s` : ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${(ms / 1000).toFixed(2)} s`);
const mb = (kb) => kb / 1024;
const fmtMb = (kb) => (kb > 0 ? `${mb(kb).toFixed(0)} MB` : '?');
const fmtX = (x) => (Number.isFinite(x) ? `${x.toFixed(2)}x` : '-');

function table(header, rows) {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => String(r[c]).length)));
  const line = (cells) => cells.map((cell, c) => (c === 0 ? String(cell).padEnd(widths[c]) : String(cell).padStart(widths[c]))).join('  ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

function mdTable(header, rows) {
  const esc = (s) => String(s).replace(/\|/g, '\\|');
  return [`| ${header.map(esc).join(' | ')} |`, `|${header.map((_, c) => (c === 0 ? ' --- ' : ' ---: ')).join('|')}|`, ...rows.map((r) => `| ${r.map(esc).join(' | ')} |`)].join('\n');
}

function machine() {
  const cpus = os.cpus();
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: repo, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src', 'transforms'], { cwd: repo, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    if (dirty) commit += ' + uncommitted changes in src/ or transforms/';
  } catch {
    // not a git checkout
  }
  return {
    cpu: cpus[0]?.model?.trim() ?? 'unknown',
    cores: os.availableParallelism?.() ?? cpus.length,
    memoryGb: (os.totalmem() / 1024 ** 3).toFixed(1),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    load: os.loadavg().map((l) => l.toFixed(2)).join(' '),
    commit,
  };
}

/** Sources under src/ and transforms/ whose dist/ output is missing or older: the build is stale. */
function staleDist() {
  const stale = [];
  const walk = (rel) => {
    let entries = [];
    try {
      entries = fs.readdirSync(path.join(repo, rel), { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const child = `${rel}/${e.name}`;
      if (e.isDirectory()) walk(child);
      else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) {
        const out = path.join(repo, 'dist', child.replace(/\.ts$/, '.js'));
        if (!fs.existsSync(out) || fs.statSync(out).mtimeMs < fs.statSync(path.join(repo, child)).mtimeMs) stale.push(child);
      }
    }
  };
  walk('src');
  walk('transforms');
  return stale.sort();
}

/**
 * A copy of the built CLI (bin/, dist/, package.json; node_modules and docs
 * linked) that every measurement runs, so a rebuild of dist/ during a long
 * run cannot mix two engines in one set of figures.
 */
function snapshotEngine(tmp) {
  const snap = path.join(tmp, 'engine');
  fs.mkdirSync(snap);
  for (const dir of ['bin', 'dist']) fs.cpSync(path.join(repo, dir), path.join(snap, dir), { recursive: true });
  fs.copyFileSync(path.join(repo, 'package.json'), path.join(snap, 'package.json'));
  for (const dir of ['node_modules', 'docs']) {
    if (fs.existsSync(path.join(repo, dir))) fs.symlinkSync(path.join(repo, dir), path.join(snap, dir), 'dir');
  }
  return snap;
}

// ---------------------------------------------------------------------------

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  for (const f of [path.join(repo, 'dist', 'src', 'cli.js'), ...CODE_FIXERS.map((id) => path.join(repo, 'dist', 'transforms', 'code', `${id}.js`))]) {
    if (!fs.existsSync(f)) usage(`${path.relative(repo, f)} is missing: run \`npm run build\` first`);
  }
  if (!opts.skipJscodeshift && !fs.existsSync(jscodeshiftBin)) usage('node_modules/jscodeshift is missing: run `npm ci` first');

  const stale = staleDist();
  const staleNote = stale.length ? `dist/ is older than ${stale.length} source file${stale.length > 1 ? 's' : ''} (${stale.slice(0, 3).join(', ')}${stale.length > 3 ? ', ...' : ''}): figures are for the last build, run \`npm run build\`` : null;
  if (staleNote) log(`bench: warning: ${staleNote}`);

  const n = opts.n;
  const quarter = Math.max(1, Math.round(n / 4));
  const started = new Date();
  const host = machine();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'shipshape-bench-'));
  const dirN = path.join(tmp, `n${n}`);
  const dirQ = path.join(tmp, `n${quarter}`);
  let failed = false;
  try {
    const engine = snapshotEngine(tmp);
    const cli = path.join(engine, 'bin', 'shipshape.js');
    log(`bench: synthesizing ${n} and ${quarter} services under ${tmp}`);
    const synN = synthesize(dirN, n);
    const synQ = synthesize(dirQ, quarter);
    const jobs = opts.jobs ? ['--jobs', String(opts.jobs)] : [];
    const ok01 = { runs: opts.runs, okCodes: [0, 1] };
    const scanArgs = (dir) => [cli, 'scan', dir, '--format', 'json', '--output', '/dev/null', ...jobs];
    const fixArgs = (dir) => [cli, 'fix', dir, '--dry-run', ...jobs];

    log(`bench: measuring (${opts.runs} run${opts.runs > 1 ? 's' : ''} each; wall time, peak RSS)`);
    const floor = await measure('parse floor (@babel/parser)', [{ args: [floorScript, dirN], cwd: repo, captureStdout: true }], { runs: opts.runs });
    let floorOut = null;
    try {
      floorOut = JSON.parse(floor.last.stdout);
      if (floorOut.failed?.length) floor.errors.push(`floor could not parse ${floorOut.failed.length} files: ${floorOut.failed.slice(0, 3).join('; ')}`);
    } catch {
      floor.errors.push('floor printed no summary');
    }
    const scan = await measure(`shipshape scan (N=${n})`, [{ args: scanArgs(dirN), cwd: repo }], ok01);
    const fix = await measure(`shipshape fix --dry-run (N=${n})`, [{ args: fixArgs(dirN), cwd: repo }], ok01);
    const scanQ = await measure(`shipshape scan (N/4=${quarter})`, [{ args: scanArgs(dirQ), cwd: repo }], ok01);
    const fixQ = await measure(`shipshape fix --dry-run (N/4=${quarter})`, [{ args: fixArgs(dirQ), cwd: repo }], ok01);

    let jsc = null;
    if (!opts.skipJscodeshift) {
      // The same files the floor parses, relative to the synthetic repo.
      const files = synN.sourceFiles;
      const viaStdin = files.join(' ').length > 1_000_000; // argv limits; same files either way
      const steps = CODE_FIXERS.map((id) => ({
        name: id,
        cwd: dirN,
        args: [
          jscodeshiftBin,
          '--no-babel',
          '-d',
          '-s',
          `--extensions=${SOURCE_EXTENSIONS.map((e) => e.slice(1)).join(',')}`,
          ...(opts.jobs ? [`--cpus=${opts.jobs}`] : []),
          '-t',
          path.join(engine, 'dist', 'transforms', 'code', `${id}.js`),
          ...(viaStdin ? ['--stdin'] : files),
        ],
        stdin: viaStdin ? `${files.join('\n')}\n` : null,
      }));
      jsc = await measure('jscodeshift, six code fixers', steps, { runs: opts.runs });
    }

    const all = [floor, scan, fix, scanQ, fixQ, ...(jsc ? [jsc] : [])];
    for (const m of all) {
      if (m.errors.length) {
        failed = true;
        log(`bench: ${m.label} failed:\n${m.errors.join('\n')}`);
      }
    }

    // ---- report --------------------------------------------------------
    const rssAtTarget = n === TARGETS.rssTargetN;
    const status = (ok, applies = true) => (!applies ? 'n/a' : ok ? 'met' : 'missed');
    const ratios = [
      ['scan / floor', fmtX(scan.ms / floor.ms), `<= ${TARGETS.scanFloor}x`, status(scan.ms / floor.ms <= TARGETS.scanFloor)],
      ['fix --dry-run / floor', fmtX(fix.ms / floor.ms), `<= ${TARGETS.fixFloor}x`, status(fix.ms / floor.ms <= TARGETS.fixFloor)],
      jsc
        ? ['jscodeshift / fix (fix is this much faster)', fmtX(jsc.ms / fix.ms), `>= ${TARGETS.jscodeshiftFix}x`, status(jsc.ms / fix.ms >= TARGETS.jscodeshiftFix)]
        : ['jscodeshift / fix (fix is this much faster)', 'skipped', `>= ${TARGETS.jscodeshiftFix}x`, 'n/a'],
      [`peak RSS scan, N=${n}`, fmtMb(scan.rssKb), `<= ${TARGETS.rssMb} MB at N=${TARGETS.rssTargetN}`, status(mb(scan.rssKb) <= TARGETS.rssMb, rssAtTarget)],
      [`peak RSS fix --dry-run, N=${n}`, fmtMb(fix.rssKb), `<= ${TARGETS.rssMb} MB at N=${TARGETS.rssTargetN}`, status(mb(fix.rssKb) <= TARGETS.rssMb, rssAtTarget)],
      [`peak RSS scan, N=${n} / N/4=${quarter}`, `${fmtMb(scan.rssKb)} / ${fmtMb(scanQ.rssKb)} = ${fmtX(scan.rssKb / scanQ.rssKb)}`, `<= ${TARGETS.rssGrowth}x`, status(scan.rssKb / scanQ.rssKb <= TARGETS.rssGrowth)],
      [`peak RSS fix --dry-run, N=${n} / N/4=${quarter}`, `${fmtMb(fix.rssKb)} / ${fmtMb(fixQ.rssKb)} = ${fmtX(fix.rssKb / fixQ.rssKb)}`, `<= ${TARGETS.rssGrowth}x`, status(fix.rssKb / fixQ.rssKb <= TARGETS.rssGrowth)],
    ];
    const perFile = (m, files) => `${(m.ms / files).toFixed(1)} ms`;
    const measurements = [
      ['parse floor (read + @babel/parser, 1 process)', fmtSec(floor.ms), fmtMb(floor.rssKb), perFile(floor, synN.counts.sourceFiles), floor.processes],
      [`shipshape scan`, fmtSec(scan.ms), fmtMb(scan.rssKb), perFile(scan, synN.counts.sourceFiles), scan.processes],
      [`shipshape fix --dry-run`, fmtSec(fix.ms), fmtMb(fix.rssKb), perFile(fix, synN.counts.sourceFiles), fix.processes],
      ...(jsc
        ? [['jscodeshift, the six code fixers in turn', fmtSec(jsc.ms), fmtMb(jsc.rssKb), perFile(jsc, synN.counts.sourceFiles), jsc.processes]]
        : [['jscodeshift, the six code fixers in turn', 'skipped', '-', '-', '-']]),
      [`shipshape scan, N/4=${quarter}`, fmtSec(scanQ.ms), fmtMb(scanQ.rssKb), perFile(scanQ, synQ.counts.sourceFiles), scanQ.processes],
      [`shipshape fix --dry-run, N/4=${quarter}`, fmtSec(fixQ.ms), fmtMb(fixQ.rssKb), perFile(fixQ, synQ.counts.sourceFiles), fixQ.processes],
    ];
    const mHeader = ['measurement', 'wall', 'peak RSS', 'per source file', 'processes'];
    const rHeader = ['ratio', 'measured', 'target', 'status'];
    const jscSteps = jsc ? jsc.steps.map((s) => [s.name, fmtSec(s.ms)]) : [];
    const c = synN.counts;
    const countsLine = (syn, label) =>
      `${label}: ${syn.services} services, ${syn.counts.sourceFiles} source files (${syn.counts.fixtureFiles} from the code-transform fixtures, ${syn.counts.businessFiles} business-logic), ${syn.counts.dockerfiles} Dockerfiles, ${syn.counts.composeServices} compose service${syn.counts.composeServices === 1 ? '' : 's'}`;
    const settings = `--jobs ${opts.jobs ?? 'default'}${opts.jobs ? ' (jscodeshift --cpus too)' : ' (jscodeshift: its default --cpus)'}; ${opts.runs} run${opts.runs > 1 ? 's' : ''} per measurement${opts.runs > 1 ? ' (median wall, max RSS)' : ''}`;
    const command = `node bench/run.mjs ${process.argv.slice(2).join(' ')}`.trim();

    const text = [
      '',
      `shipshape bench, N=${n}  (${command})`,
      countsLine(synN, `  N=${n}`),
      countsLine(synQ, `  N/4=${quarter}`),
      `  machine: ${host.cpu}, ${host.cores} cores, ${host.memoryGb} GB; node ${host.node}; load ${host.load} at start; commit ${host.commit}`,
      `  ${settings}`,
      ...(staleNote ? [`  WARNING: ${staleNote}`] : []),
      '',
      table(mHeader, measurements),
      ...(jsc ? ['', table(['jscodeshift fixer', 'wall'], jscSteps)] : []),
      '',
      table(rHeader, ratios),
      '',
      'Figures only: a missed target does not fail the run. See bench/README.md.',
      '',
    ].join('\n');
    process.stdout.write(text);

    const md = [
      '# Benchmark results',
      '',
      `Written by \`${command}\` (bench/run.mjs; see bench/README.md for what each figure means).`,
      'Figures, not assertions: a missed target is reported, never a failing exit.',
      '',
      `- date: ${started.toISOString()}`,
      `- machine: ${host.cpu}, ${host.cores} cores, ${host.memoryGb} GB memory, ${host.os}`,
      `- load average at start: ${host.load}`,
      `- node: ${host.node}`,
      `- shipshape commit: ${host.commit}`,
      `- N: ${n} (memory growth compared with N/4 = ${quarter})`,
      `- files, ${countsLine(synN, `N=${n}`)}; ${c.workers} Kafka workers; ${c.byLanguage.ts} TypeScript, ${c.byLanguage.esm} ESM JavaScript and ${c.byLanguage.cjs} CommonJS services; ${c.distinctFixtures} distinct fixture inputs`,
      `- files, ${countsLine(synQ, `N/4=${quarter}`)}`,
      `- settings: ${settings}`,
      ...(staleNote ? [`- **warning**: ${staleNote}`] : []),
      '',
      '## Measurements',
      '',
      mdTable(mHeader, measurements),
      '',
      ...(jsc ? ['jscodeshift, per fixer (`--no-babel -d -s`, the same source files):', '', mdTable(['fixer', 'wall'], jscSteps), ''] : []),
      '## Ratios and targets (issue 11)',
      '',
      mdTable(rHeader, ratios),
      '',
      ...(failed ? ['## Errors', '', '```', ...all.flatMap((m) => m.errors), '```', ''] : []),
    ].join('\n');
    fs.writeFileSync(resultsFile, md);
    log(`bench: wrote ${path.relative(process.cwd(), resultsFile) || resultsFile}`);
  } finally {
    if (opts.keep) log(`bench: kept ${tmp}`);
    else fs.rmSync(tmp, { recursive: true, force: true });
  }
  if (failed) process.exitCode = 1;
}

await main();
