// HEALTHCHECK facts (which program it runs, whether it speaks HTTP, whether
// its port is a literal) and the one healthcheck shipshape writes: exec form,
// node only (no curl in slim/alpine images), PORT read from the environment
// because exec form does not expand `$PORT`, 127.0.0.1 rather than localhost
// (which may resolve to ::1), a request timeout, exit 0 only on a 2xx.
import path from 'node:path';
import type { DockerInstruction, DockerfileTree } from '../../../src/engine/dockerfile.js';
import { stripWrappers } from '../../../src/engine/shell.js';
import { imageInstructions } from './stage-image.js';

/** The HEALTHCHECK in effect for the final image (the last one of its chain). */
export function activeHealthcheck(tree: DockerfileTree): DockerInstruction | undefined {
  return [...imageInstructions(tree)].reverse().find((i) => i.keyword === 'HEALTHCHECK');
}

export function isNone(instr: DockerInstruction): boolean {
  return /^\s*NONE\s*$/i.test(instr.args);
}

/** The text after `CMD`, as Docker runs it. */
function probeText(instr: DockerInstruction): string {
  return instr.args.replace(/^\s*CMD\s+/i, '');
}

/** Program names the check runs (`curl`, `wget`, `node`…), wrappers removed. */
function probePrograms(tree: DockerfileTree, instr: DockerInstruction): string[] {
  if (instr.execForm) return [path.posix.basename(stripWrappers(instr.execForm)[0] ?? '')];
  return (tree.shellOf(instr)?.commands ?? []).map((c) => path.posix.basename(stripWrappers(c.args)[0] ?? ''));
}

/** `curl` or `wget` when the check calls one, else null. */
export function probeBinary(tree: DockerfileTree, instr: DockerInstruction): 'curl' | 'wget' | null {
  const programs = probePrograms(tree, instr);
  return programs.includes('curl') ? 'curl' : programs.includes('wget') ? 'wget' : null;
}

/** True when the check is an HTTP request (curl/wget or an http URL / node http client). */
export function isHttpProbe(tree: DockerfileTree, instr: DockerInstruction): boolean {
  if (isNone(instr)) return false;
  const text = probeText(instr);
  return probeBinary(tree, instr) !== null || /https?:\/\//.test(text) || /require\(\s*['"](node:)?https?['"]\s*\)|\bfetch\(/.test(text);
}

/** The literal port a check targets while ignoring PORT, or null. */
export function hardcodedPort(instr: DockerInstruction): number | null {
  const text = probeText(instr);
  if (/\bPORT\b/.test(text)) return null;
  const m = /\/\/(?:\[[^\]]*\]|[^/\s:'"]+):(\d{2,5})\b/.exec(text) ?? /\bport\s*:\s*(\d{2,5})\b/i.exec(text);
  return m ? Number(m[1]) : null;
}

/** Defaults for the flags shipshape's healthcheck always carries (also the timing of the ECS healthCheck it writes). */
export const PROBE_FLAGS: [string, string][] = [
  ['interval', '30s'],
  ['timeout', '5s'],
  ['start-period', '20s'],
  ['retries', '3'],
];

/** Existing flags kept as written, missing ones of PROBE_FLAGS appended. */
export function probeFlags(tree: DockerfileTree, existing: DockerInstruction | undefined): string[] {
  const flags = existing ? (existing.node as unknown as { getFlags(): { getName(): string; getRange(): { start: Pos; end: Pos } }[] }).getFlags() : [];
  const lines = tree.text.split('\n');
  const kept = flags.map((f) => {
    const { start, end } = f.getRange();
    return start.line === end.line ? (lines[start.line] ?? '').slice(start.character, end.character) : `--${f.getName()}`;
  });
  const names = new Set(flags.map((f) => f.getName()));
  return [...kept, ...PROBE_FLAGS.filter(([n]) => !names.has(n)).map(([n, v]) => `--${n}=${v}`)];
}

interface Pos {
  line: number;
  character: number;
}

const SAFE_PATH = /^\/[A-Za-z0-9._~/-]*$/;

/** The node probe's argv for `port` (fallback when PORT is unset) and `healthPath`; ECS puts it after "CMD". */
export function nodeProbeArgv(port: number, healthPath: string | null): string[] {
  const route = healthPath && SAFE_PATH.test(healthPath) ? healthPath : '/health';
  const script =
    `require('http').get('http://127.0.0.1:' + (process.env.PORT || ${port}) + '${route}', { timeout: 4000 }, ` +
    `(r) => process.exit(r.statusCode >= 200 && r.statusCode < 300 ? 0 : 1))` +
    `.on('timeout', () => process.exit(1)).on('error', () => process.exit(1))`;
  return ['node', '-e', script];
}

/** The exec-form node probe for `port` (fallback when PORT is unset) and `healthPath`. */
export function nodeProbe(port: number, healthPath: string | null): string {
  return `[${nodeProbeArgv(port, healthPath).map((s) => JSON.stringify(s)).join(', ')}]`;
}

/** A whole HEALTHCHECK instruction: flags on the first line, CMD on the next (continued with the file's escape character). */
export function healthcheckInstruction(tree: DockerfileTree, flags: string[], probe: string): string {
  const escape = tree.ast.getEscapeCharacter();
  return `HEALTHCHECK ${flags.join(' ')} ${escape}\n  CMD ${probe}`;
}
