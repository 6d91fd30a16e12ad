// How a verify run reads: a header (entry, build, PORT, which dependencies
// are down), one ✓/✗/– line per check with its evidence indented below, and
// a verdict line. The text is printed as the run goes; JSON is the whole
// result at the end. Colour only when the caller says the stream is a TTY.
import type { CheckResult } from './checks.js';
import { seconds } from './child.js';
import type { VerifyResult } from './run.js';

export interface RenderOptions {
  color: boolean;
}

const MARK: Record<CheckResult['status'], string> = { pass: '✓', fail: '✗', skip: '–' };
const COLOR: Record<CheckResult['status'], string> = { pass: '\x1b[32m', fail: '\x1b[31m', skip: '\x1b[2m' };
/** Evidence lines shown under a passing check; a failing one shows all. */
const PASS_EVIDENCE = 2;

export function renderHeader(run: VerifyResult): string {
  const lines = [`shipshape verify ${run.service.dir === '.' ? run.service.root : run.service.dir}  (${run.service.name}, ${run.service.type})`];
  const field = (name: string, text: string) => lines.push(`  ${name.padEnd(7)} ${text}`);
  if (run.build) field('build', `${run.build.command} in ${seconds(run.build.ms)}: ${run.build.ok ? 'ok' : `failed (${run.build.exitCode ?? 'timeout'})`} (${run.build.reason})`);
  if (run.entry) {
    field('entry', `${run.entry.command.join(' ')}  (cwd ${run.entry.cwd}, from ${run.entry.source})`);
    for (const note of run.entry.notes) field('', `note: ${note}`);
  }
  if (run.port !== null) field('PORT', `${run.port} on 127.0.0.1`);
  const deps = run.environment.filter((e) => e.why === 'dependency');
  if (deps.length === 0) field('down', 'no dependency found in compose, Dockerfile ENV or code');
  deps.forEach((e, i) => field(i === 0 ? 'down' : '', `${e.name}=${e.value}  (closed port)`));
  const secrets = run.environment.filter((e) => e.why === 'secret' || e.why === 'dummy').map((e) => e.name);
  if (secrets.length) field('dummy', secrets.join(', '));
  return `${lines.join('\n')}\n\n`;
}

export function renderCheck(c: CheckResult, opts: RenderOptions): string {
  const mark = opts.color ? `${COLOR[c.status]}${MARK[c.status]}\x1b[0m` : MARK[c.status];
  const head = `  ${mark} ${c.n} ${c.title.padEnd(19)} ${c.summary}`;
  const shown = c.status === 'fail' ? c.evidence : c.evidence.slice(0, PASS_EVIDENCE);
  return [head, ...shown.map((e) => `        ${e}`)].join('\n') + '\n';
}

export function renderVerdict(run: VerifyResult): string {
  const failed = run.checks.filter((c) => c.status === 'fail').length;
  const skipped = run.checks.filter((c) => c.status === 'skip').length;
  const skippedText = skipped ? `, ${skipped} not applicable or not run` : '';
  const when = `${run.service.name}, ${seconds(run.durationMs)}`;
  return failed
    ? `\nFAIL  ${failed} of ${run.checks.length} checks failed${skippedText} (${when})\n`
    : `\nOK  all checks hold${skippedText} (${when})\n`;
}

export function renderText(run: VerifyResult, opts: RenderOptions): string {
  return renderHeader(run) + run.checks.map((c) => renderCheck(c, opts)).join('') + renderVerdict(run);
}

export function renderJson(run: VerifyResult): string {
  return `${JSON.stringify(run, null, 2)}\n`;
}
