// The one option schema of the generators. Each option is declared once,
// with its default (read from the target monorepo) and its parser/validator;
// the plop prompts, the `shipshape new` flags and the --answers file are all
// derived from this list, so they cannot drift apart.
import { builtinModules } from 'node:module';
import path from 'node:path';
import { InputError, type Db, type Monorepo } from './monorepo.js';

export type Kind = 'service' | 'worker';
export const KINDS: readonly Kind[] = ['service', 'worker'];

export interface Answers {
  name: string;
  dir: string;
  db: Db;
  /** Services only. */
  port?: number;
  /** Workers only. */
  topic?: string;
  group?: string;
}

type Value = string | number;

export interface OptionSpec {
  key: keyof Answers;
  kinds: readonly Kind[];
  /** The prompt's question; also the flag's help. */
  message: string;
  choices?: readonly string[];
  /** The default from the monorepo and the earlier answers; undefined when the value has none (required). */
  default(mono: Monorepo, answers: Partial<Answers>): Value | undefined;
  /** Parses and validates a raw value (flag text, prompt input, JSON value); throws InputError saying why. */
  parse(raw: unknown, mono: Monorepo, answers: Partial<Answers>): Value;
  /** The checks `parse` makes that need no monorepo: run on the flags before it is read, so bad input fails at once. */
  check(raw: unknown): void;
}

const DBS: readonly Db[] = ['mongo', 'postgres', 'none'];
/** Kafka's legal topic characters (kafka/common/internals/Topic.java), and its length limit. */
const KAFKA_NAME = /^[a-zA-Z0-9._-]{1,249}$/;
const KEBAB = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;
const SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9._-]*$/;
/** Device names Windows will not create as a file or folder, with or without an extension. */
const WINDOWS_DEVICE = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])(\.|$)/i;
/** Characters a terminal or an editor may act on or hide: C0/C1 controls, DEL, line and paragraph separators, bidi and zero-width marks. */
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb]/;
const UNPRINTABLE_ALL = new RegExp(UNPRINTABLE.source, 'g');

/** A user's value quoted for an error message: JSON string syntax, with everything unprintable as \uXXXX, so the message cannot move the cursor or hide text. */
export function quote(value: unknown): string {
  const json = JSON.stringify(value) ?? String(value);
  return json.replace(UNPRINTABLE_ALL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** The first character of `value` that `allowed` refuses, described for an error; null when every one is allowed. */
export function offending(value: string, allowed: RegExp): string | null {
  for (const c of value) {
    if (allowed.test(c)) continue;
    if (c === ' ') return 'a space';
    if (c === '\n' || c === '\r') return 'a line break';
    if (c === '\t') return 'a tab';
    if (UNPRINTABLE.test(c) || /\s/.test(c)) return `the invisible or control character ${quote(c).slice(1, -1)}`;
    if (c === '$' || c === '{' || c === '}' || c === '`') return `${quote(c)} (template syntax)`;
    if (c === '"' || c === "'") return `a quote (${c === '"' ? 'double' : 'single'})`;
    return quote(c);
  }
  return null;
}

function text(raw: unknown, what: string): string {
  if (typeof raw !== 'string' || raw === '') throw new InputError(`${what} must be a non-empty string`);
  return raw;
}

/** The checks of a name that need no monorepo. */
export function checkName(raw: unknown): string {
  const name = text(raw, 'the name');
  if (/[/\\]/.test(name) || name.includes('..')) throw new InputError(`${quote(name)} must not contain path separators or ".."`);
  if (name.length > 214) throw new InputError(`${quote(`${name.slice(0, 40)}…`)} is longer than npm's 214 characters`);
  if (!KEBAB.test(name)) {
    const bad = offending(name, /[a-z0-9-]/);
    throw new InputError(
      `${quote(name)} is not kebab-case${bad ? ` (${bad} is not allowed)` : ''}: lowercase letters, digits and single hyphens, starting with a letter (e.g. billing-service)`,
    );
  }
  if (builtinModules.includes(name)) throw new InputError(`${quote(name)} is a Node.js core module name, which npm refuses for packages`);
  if (WINDOWS_DEVICE.test(name)) throw new InputError(`${quote(name)} is a device name on Windows, where no folder can have it`);
  return name;
}

export function parseName(raw: unknown, mono: Pick<Monorepo, 'packageNames'>): string {
  const name = checkName(raw);
  if (mono.packageNames.has(name)) throw new InputError(`"${name}" already exists in this monorepo (a package or compose service has that name)`);
  return name;
}

export function parseDir(raw: unknown): string {
  const dir = text(raw, 'the directory');
  if (dir.includes('\\') || path.posix.isAbsolute(dir) || /^[A-Za-z]:/.test(dir))
    throw new InputError(`${quote(dir)} must be a relative path inside the monorepo, with / separators`);
  const segments = dir.replace(/\/+$/, '').split('/');
  if (segments.some((s) => s === '..')) throw new InputError(`${quote(dir)} must not contain ".."`);
  const badSegment = segments.find((s) => !SEGMENT.test(s));
  if (badSegment !== undefined) {
    const bad = badSegment === '' ? 'an empty folder name ("//")' : offending(badSegment, /[A-Za-z0-9._-]/) ?? `${quote(badSegment)} (starts with ${quote(badSegment[0])})`;
    throw new InputError(`${quote(dir)}: ${bad} is not allowed; each folder name may hold only letters, digits, ".", "_" and "-", and starts with a letter, digit or "_"`);
  }
  const device = segments.find((s) => WINDOWS_DEVICE.test(s));
  if (device) throw new InputError(`${quote(dir)}: ${quote(device)} is a device name on Windows, where no folder can have it`);
  return segments.join('/');
}

/** The checks of a port that need no monorepo. */
export function checkPort(raw: unknown): number {
  const port = typeof raw === 'number' ? raw : typeof raw === 'string' && /^\d{1,5}$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isInteger(port) || port < 1024 || port > 65535) throw new InputError(`${quote(raw)} is not a port between 1024 and 65535`);
  return port;
}

/** The port the shipshape config pins for a service name; own keys only, so a name like "constructor" is not read off Object.prototype. */
export function pinnedPort(mono: Pick<Monorepo, 'configPorts'>, name: string | undefined): number | undefined {
  return name !== undefined && Object.hasOwn(mono.configPorts, name) ? mono.configPorts[name] : undefined;
}

export function parsePort(raw: unknown, mono: Pick<Monorepo, 'ports' | 'configPorts'>, name?: string): number {
  const port = checkPort(raw);
  const owner = mono.ports.get(port);
  if (owner && pinnedPort(mono, name) !== port) throw new InputError(`port ${port} is already used by ${owner}`);
  return port;
}

export function parseKafkaName(raw: unknown, what: 'topic' | 'group'): string {
  const value = text(raw, `the ${what}`);
  if (!KAFKA_NAME.test(value) || value === '.' || value === '..') {
    const tooLong = value.length > 249;
    const bad = tooLong ? null : offending(value, /[a-zA-Z0-9._-]/);
    const why = tooLong ? ' (it is longer than 249 characters)' : bad ? ` (${bad} is not allowed)` : '';
    throw new InputError(`${quote(tooLong ? `${value.slice(0, 40)}…` : value)} is not a valid Kafka ${what}${why}: use 1-249 of a-z A-Z 0-9 . _ - (and not "." or "..")`);
  }
  return value;
}

export function parseDb(raw: unknown): Db {
  if (typeof raw !== 'string' || !DBS.includes(raw as Db)) throw new InputError(`${quote(raw)} is not one of ${DBS.join(', ')}`);
  return raw as Db;
}

export const OPTIONS: readonly OptionSpec[] = [
  {
    key: 'name',
    kinds: KINDS,
    message: 'Package and folder name (kebab-case)',
    default: () => undefined,
    parse: (raw, mono) => parseName(raw, mono),
    check: (raw) => void checkName(raw),
  },
  {
    key: 'dir',
    kinds: KINDS,
    message: 'Parent folder of the new package',
    default: (mono) => mono.defaultDir,
    parse: (raw) => parseDir(raw),
    check: (raw) => void parseDir(raw),
  },
  {
    key: 'port',
    kinds: ['service'],
    message: 'HTTP port',
    default: (mono, answers) => pinnedPort(mono, answers.name) || mono.nextPort,
    parse: (raw, mono, answers) => parsePort(raw, mono, answers.name),
    check: (raw) => void checkPort(raw),
  },
  {
    key: 'topic',
    kinds: ['worker'],
    message: 'Kafka topic to consume',
    default: () => undefined,
    parse: (raw) => parseKafkaName(raw, 'topic'),
    check: (raw) => void parseKafkaName(raw, 'topic'),
  },
  {
    key: 'group',
    kinds: ['worker'],
    message: 'Kafka consumer group',
    default: (_mono, answers) => answers.name,
    parse: (raw) => parseKafkaName(raw, 'group'),
    check: (raw) => void parseKafkaName(raw, 'group'),
  },
  {
    key: 'db',
    kinds: KINDS,
    message: 'Database',
    choices: DBS,
    default: (mono) => mono.defaultDb,
    parse: (raw) => parseDb(raw),
    check: (raw) => void parseDb(raw),
  },
];

export function optionsFor(kind: Kind): OptionSpec[] {
  return OPTIONS.filter((o) => o.kinds.includes(kind));
}

export function isKind(value: string): value is Kind {
  return (KINDS as readonly string[]).includes(value);
}

/** Where raw values come from, highest precedence first: flags, then the answers file. */
export interface AnswerSources {
  flags: Partial<Record<keyof Answers, unknown>>;
  file?: { path: string; values: Record<string, unknown> };
  /** Take the default of every option not given. */
  yes: boolean;
}

/** Asks for the options that are still missing (interactive use); returns raw values by key. */
export type Ask = (missing: OptionSpec[], sofar: Partial<Answers>) => Promise<Record<string, unknown>>;

/** Reads an --answers file: a JSON object whose keys are options of this kind. */
export function answersFile(file: string, json: string, kind: Kind): { path: string; values: Record<string, unknown> } {
  let values: unknown;
  try {
    values = JSON.parse(json.replace(/^\ufeff/, ''));
  } catch (err) {
    throw new InputError(`${file}: invalid JSON: ${(err as Error).message}`);
  }
  if (!values || typeof values !== 'object' || Array.isArray(values)) throw new InputError(`${file}: must be a JSON object of answers, e.g. {"name": "billing-service"}`);
  const known = optionsFor(kind).map((o) => o.key as string);
  for (const key of Object.keys(values)) {
    if (known.includes(key)) continue;
    const other = OPTIONS.find((o) => o.key === key);
    throw new InputError(`${file}: "${key}" ${other ? `does not apply to a ${kind}` : 'is not an option'} (options for a ${kind}: ${known.join(', ')})`);
  }
  return { path: file, values: values as Record<string, unknown> };
}

function notApplicable(kind: Kind, flags: AnswerSources['flags']): void {
  for (const o of OPTIONS)
    if (!o.kinds.includes(kind) && flags[o.key] !== undefined) throw new InputError(`--${o.key} does not apply to a ${kind}`);
}

/** The value given for an option by a flag or the answers file (flags win), and where it came from for messages. */
function given(o: OptionSpec, sources: Pick<AnswerSources, 'flags' | 'file'>): { raw: unknown; where: string } | null {
  if (sources.flags[o.key] !== undefined) return { raw: sources.flags[o.key], where: `--${o.key}` };
  if (sources.file && sources.file.values[o.key] !== undefined) return { raw: sources.file.values[o.key], where: `${sources.file.path}: "${o.key}"` };
  return null;
}

function blame<T>(where: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof InputError) throw new InputError(`${where}: ${err.message}`);
    throw err;
  }
}

/**
 * Checks every value given by flag or answers file that can be checked
 * without the monorepo (its characters, its shape), before the monorepo is
 * read: bad input is one error naming the flag, at once. The messages are the
 * ones resolveAnswers gives.
 */
export function checkGiven(kind: Kind, sources: Pick<AnswerSources, 'flags' | 'file'>): void {
  notApplicable(kind, sources.flags);
  for (const o of optionsFor(kind)) {
    const value = given(o, sources);
    if (value) blame(value.where, () => o.check(value.raw));
  }
}

/**
 * Resolves every option of `kind` from flags, the answers file, defaults
 * (with `yes`) and, for what is still missing, `ask`. Validates each value;
 * the first bad one is an InputError naming where it came from.
 */
export async function resolveAnswers(kind: Kind, sources: AnswerSources, mono: Monorepo, ask?: Ask): Promise<Answers> {
  notApplicable(kind, sources.flags);
  const answers: Partial<Answers> = {};
  const set = (o: OptionSpec, raw: unknown, where: string) => {
    (answers as Record<string, Value>)[o.key] = blame(where, () => o.parse(raw, mono, answers));
  };
  const missing: OptionSpec[] = [];
  for (const o of optionsFor(kind)) {
    const fallback = o.default(mono, answers);
    const value = given(o, sources);
    if (value) set(o, value.raw, value.where);
    else if (sources.yes && fallback !== undefined) set(o, fallback, `the default ${o.key}`);
    else if (sources.yes) throw new InputError(`a ${kind} needs --${o.key} (it has no default)`);
    else if (ask) set(o, (await ask([o], answers))[o.key], o.key);
    else missing.push(o);
  }
  if (missing.length > 0) {
    const flags = (os: OptionSpec[]) => os.map((o) => `--${o.key}`).join(', ');
    const defaults = missing.filter((o) => o.default(mono, answers) !== undefined);
    const required = missing.filter((o) => o.default(mono, answers) === undefined);
    let message = `missing ${flags(missing)}: pass them or --answers FILE.json`;
    if (defaults.length > 0) message += `, or --yes for the defaults (${defaults.map((o) => `${o.key} ${o.default(mono, answers)}`).join(', ')})`;
    if (required.length > 0) message += `; ${flags(required)} ${required.length > 1 ? 'have' : 'has'} no default`;
    throw new InputError(message);
  }
  return answers as Answers;
}
