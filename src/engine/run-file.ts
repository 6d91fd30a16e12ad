// One file through the engine: parse once, detect with every transform of its
// kind, and (in fix mode) let the selected fixers change the same tree in
// registry order. Pure apart from what the workspace view reads.
import type { Collection } from 'jscodeshift';
import { forgetIndex, withIndex } from './node-index.js';
import { hasNeedle, wanting } from './prefilter.js';
import { parse, ParseError, parses, unchangedSource, type Parsed } from './parsers.js';
import { SuppressionIndex, findSuppressions } from './suppress.js';
import type { FixStep } from './provenance.js';
import { applyEdits } from './text.js';
import { TEXT_KINDS } from './types.js';
import type {
  AnyTransform,
  ContextFor,
  FileKind,
  Finding,
  NewFile,
  Service,
  Severity,
  TextEdit,
  Transform,
  WorkspaceView,
} from './types.js';

export interface FileInput {
  kind: FileKind;
  /** Relative to the workspace root. */
  path: string;
  /** LF text without BOM (see text.ts). */
  text: string;
  service: Service | null;
  /** The tree parsed by analyze(), reused so each file is parsed once. */
  parsed?: Parsed;
}

export interface FileOutcome {
  path: string;
  findings: Finding[];
  /** Findings silenced by `shipshape-ignore`, counted, never hidden from the summary. */
  suppressed: number;
  /** Fixed text when a fixer changed the file. */
  output?: string;
  /** Transform ids that changed the file, in order. */
  applied: string[];
  /** How `output` came about, one fixer (or pass) at a time: for line provenance (provenance.ts). */
  steps?: FixStep[];
  created: CreatedFile[];
  /** Set when the file could not be parsed or a fixer broke it. */
  error?: { line: number; message: string };
}

/** Upper bound on edit passes for text kinds; a fix that never settles stops here. */
const MAX_PASSES = 10;

/** A created file and the fixer that asked for it. */
export type CreatedFile = NewFile & { by: string };

function makeContext(input: FileInput, parsed: Parsed, ws: WorkspaceView, sup: SuppressionIndex, created: CreatedFile[], owner = { id: '' }) {
  const base = {
    path: input.path,
    text: input.text,
    service: input.service,
    workspace: ws,
    suppressed: (rule: string, line: number) => sup.check(rule, line),
    createFile: (file: NewFile) => {
      if (!created.some((f) => f.path === file.path)) created.push({ ...file, by: owner.id });
    },
  };
  switch (parsed.kind) {
    case 'code':
      return { ...base, kind: 'code' as const, j: parsed.j, root: parsed.root, parser: parsed.parser, module: parsed.module };
    case 'dockerfile':
      return { ...base, kind: 'dockerfile' as const, tree: parsed.tree };
    case 'shell':
      return { ...base, kind: 'shell' as const, tree: parsed.tree };
    case 'ecs':
      return { ...base, kind: 'ecs' as const, tree: parsed.tree };
    case 'k8s':
      return { ...base, kind: 'k8s' as const, docs: parsed.docs };
    default:
      return { ...base, kind: parsed.kind, doc: parsed.doc };
  }
}

function severityOf(rule: string, fallback: Severity, ws: WorkspaceView): Severity | null {
  const override = ws.config.rules[rule];
  if (override === 'off') return null;
  return override ?? fallback;
}

/**
 * Every transform's findings on one tree, plus the ids of the transforms that
 * reported something they can fix: `fix` runs only those (and companions).
 */
function detectAll(input: FileInput, parsed: Parsed | null, transforms: AnyTransform[], ws: WorkspaceView) {
  const sup = new SuppressionIndex(findSuppressions(input.text));
  const findings: Finding[] = [];
  const toFix = new Set<string>();
  // Matchers may meet one defect through two nodes (`export { x }` holds x twice): one finding each.
  const seen = new Set<string>();
  let suppressed = 0;
  const ctx = parsed && makeContext(input, parsed, ws, sup, []);
  for (const t of transforms) {
    if (!ctx || t.kind !== ctx.kind) continue;
    const reports = (t as Transform<FileKind>).detect(ctx as never);
    for (const r of reports) {
      const meta = t.rules[r.rule];
      if (!meta) throw new Error(`transform ${t.id} reported rule ${r.rule} it does not declare`);
      if (r.fixable !== false) toFix.add(t.id);
      if (sup.check(r.rule, r.line)) {
        suppressed++;
        continue;
      }
      const severity = severityOf(r.rule, meta.severity, ws);
      if (!severity) continue;
      const key = `${r.rule}\0${r.line}\0${r.message}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const fixable = r.fixable !== false && !!t.fix && meta.fixedBy !== null;
      findings.push({
        rule: r.rule,
        severity,
        service: input.service?.name ?? r.service ?? null,
        file: input.path,
        line: r.line,
        ...(r.column !== undefined ? { column: r.column } : {}),
        message: r.message,
        fix: fixable ? meta.fixedBy : null,
      });
    }
  }
  for (const u of sup.unused()) {
    const severity = severityOf('unused-suppression', 'info', ws);
    if (severity)
      findings.push({
        rule: 'unused-suppression',
        severity,
        service: input.service?.name ?? null,
        file: input.path,
        line: u.line,
        message: `shipshape-ignore ${u.rule} silences nothing here; remove it`,
        fix: null,
      });
  }
  return { findings, suppressed, fixable: toFix };
}

/** The one place a `parse-error` finding is made; null when config turns the rule off. */
export function parseErrorFinding(ws: WorkspaceView, service: string | null, file: string, line: number, message: string): Finding | null {
  const severity = severityOf('parse-error', 'risky', ws);
  return severity ? { rule: 'parse-error', severity, service, file, line, message: `${file}:${line}: ${message}`, fix: null } : null;
}

/** Detect only. Never throws for bad input: a parse failure becomes a `parse-error` finding. */
export function scanFile(input: FileInput, transforms: AnyTransform[], ws: WorkspaceView): FileOutcome {
  return detectFile(input, transforms, ws, false).outcome;
}

/**
 * Detection, and the tree for fixing when `parseAnyway` asks for it even where
 * the prefilter leaves no transform to run.
 */
function detectFile(input: FileInput, transforms: AnyTransform[], ws: WorkspaceView, parseAnyway: boolean) {
  const mine = wanting(
    transforms.filter((t) => t.kind === input.kind),
    input.text,
  );
  let parsed: Parsed | null = input.parsed ?? null;
  try {
    if (!parsed && (mine.length > 0 || parseAnyway)) parsed = parse(input.kind, input.path, input.text);
  } catch (err) {
    if (!(err instanceof ParseError)) throw err;
    const finding = parseErrorFinding(ws, input.service?.name ?? null, input.path, err.line, `${err.message}; shipshape skipped this file`);
    const outcome: FileOutcome = { path: input.path, findings: finding ? [finding] : [], suppressed: 0, applied: [], created: [], error: { line: err.line, message: err.message } };
    return { outcome, parsed: null, fixable: new Set<string>() };
  }
  const tree = parsed;
  const detect = () => detectAll(input, tree, mine, ws);
  const { findings, suppressed, fixable } = tree?.kind === 'code' && mine.length > 0 ? withIndex(tree.root, detect) : detect();
  const outcome: FileOutcome = { path: input.path, findings, suppressed, applied: [], created: [] };
  return { outcome, parsed: tree, fixable };
}

const YAML_PRINT = { lineWidth: 0, flowCollectionPadding: false } as const;

function serialize(parsed: Parsed): string {
  if (parsed.kind === 'code') return (parsed.root as Collection).toSource({ quote: 'single' });
  if (parsed.kind === 'k8s') return parsed.docs.map((d) => unchangedSource(d) ?? d.toString(YAML_PRINT)).join('');
  if ('doc' in parsed) return parsed.doc.toString(YAML_PRINT);
  // Text kinds are never printed from a tree: their fixers return edits.
  throw new Error(`serialize: ${parsed.kind} files are fixed by text edits`);
}

function tryParse(input: FileInput, text: string): Parsed | null {
  try {
    return parse(input.kind, input.path, text);
  } catch {
    return null;
  }
}

/**
 * Detect on the original tree, then fix. `fixers` are the selected transforms
 * (after --only/--skip), in registry order.
 */
/** Rounds of a code file's fixers: a fixer early in the order can find work a later one made. */
const MAX_CODE_ROUNDS = 3;

export function fixFile(input: FileInput, transforms: AnyTransform[], fixers: AnyTransform[], ws: WorkspaceView): FileOutcome {
  const outcome = fixOnce(input, transforms, fixers, ws);
  if (input.kind !== 'code') return outcome;
  // `fix` is idempotent by contract: while a round changes the code, run the
  // fixers again on the printed result (require-env-at-startup runs before
  // listen-before-connect moves an env read to startup), as a second
  // `shipshape fix` would. Findings stay those of the file as it was.
  // A fixer only finds new work in a change made after it ran: the next
  // round starts with the fixers ordered before the last one that changed the
  // file (each fixer is idempotent on its own output, which every fixture's
  // second pass proves), and detects with those alone; once one of them
  // changes the tree, every later fixer runs again, as in the first round.
  // Often none of them is in the file at all, and the round costs no parse.
  let last = outcome.applied;
  for (let round = 1; round < MAX_CODE_ROUNDS && outcome.output !== undefined && !outcome.error; round++) {
    const lastAt = Math.max(-1, ...last.map((id) => fixers.findIndex((t) => t.id === id)));
    const starters = new Set(fixers.slice(0, lastAt).map((t) => t.id));
    if (starters.size === 0) break;
    const detecting = transforms.filter((t) => starters.has(t.id));
    const next = fixOnce({ ...input, text: outcome.output, parsed: undefined }, detecting, fixers, ws, starters);
    if (next.error || next.output === undefined) break;
    last = next.applied;
    outcome.output = next.output;
    outcome.steps = [...(outcome.steps ?? []), ...(next.steps ?? [])];
    outcome.applied = fixers.map((t) => t.id).filter((id) => outcome.applied.includes(id) || next.applied.includes(id));
    for (const f of next.created) if (!outcome.created.some((c) => c.path === f.path)) outcome.created.push(f);
  }
  return outcome;
}

/** `starters`: the fixers that may change the untouched tree (all when absent; see fixFile's rounds). */
function fixOnce(input: FileInput, transforms: AnyTransform[], fixers: AnyTransform[], ws: WorkspaceView, starters?: Set<string>): FileOutcome {
  // On an untouched code tree a fixer runs only where its own detection
  // reported something it can fix (detect and fix share one matcher, so any
  // other fixer would change nothing), and most files need nothing. Once a
  // fixer has changed the tree, every later fixer runs, as it must: the
  // change can give it work (a listen moved out of a callback becomes one
  // http-graceful-shutdown can close). Companions report nothing and always run.
  const gated = input.kind === 'code';
  const all = fixers.filter((t) => fixerFor(t, input.kind));
  const starts = (t: AnyTransform) => !starters || starters.has(t.id);
  const wanted = (t: AnyTransform) => starts(t) && (!gated || t.kind !== input.kind || hasNeedle(t.needles, input.text));
  const { outcome, parsed, fixable } = detectFile(input, transforms, ws, all.some(wanted));
  if (outcome.error || !parsed) return outcome;
  const onUntouched = (t: AnyTransform) => wanted(t) && (!gated || t.kind !== input.kind || fixable.has(t.id));
  if (!all.some(onUntouched)) return outcome;
  if (parsed.kind === 'code') forgetIndex(parsed.root);
  const created: CreatedFile[] = [];
  const withTree = { ...input, parsed };
  const result = TEXT_KINDS.includes(input.kind) ? fixText(input, all, ws, created) : fixTree(withTree, all, onUntouched, ws, created);
  outcome.created = created;
  if (result.error) outcome.error = result.error;
  if (result.text !== input.text) {
    outcome.output = result.text;
    outcome.applied = result.applied;
    outcome.steps = result.steps;
  } else if (created.length > 0) {
    outcome.applied = result.applied;
  }
  return outcome;
}

type AnyFix = (ctx: ContextFor<FileKind>) => unknown;

/** The transform's fixer for files of `kind`: its own, or the companion it declares for that kind. */
function fixerFor(t: AnyTransform, kind: FileKind): AnyFix | undefined {
  if (t.kind === kind) return t.fix as AnyFix | undefined;
  return (t.companions as Partial<Record<FileKind, AnyFix>> | undefined)?.[kind];
}

interface FixRun {
  text: string;
  applied: string[];
  /** The text after each fixer that changed it (text kinds: after each fixer's edits of a pass). */
  steps: FixStep[];
  error?: { line: number; message: string };
}

/** Code and YAML: all fixers mutate one tree; printed once. */
/** `onUntouched` says which fixers run before any has changed the tree (see fixFile). */
function fixTree(input: FileInput, fixers: AnyTransform[], onUntouched: (t: AnyTransform) => boolean, ws: WorkspaceView, created: CreatedFile[]): FixRun {
  const parsed = input.parsed ?? parse(input.kind, input.path, input.text);
  const sup = new SuppressionIndex(findSuppressions(input.text));
  const owner = { id: '' };
  const ctx = makeContext(input, parsed, ws, sup, created, owner);
  const applied: string[] = [];
  const steps: FixStep[] = [];
  for (const t of fixers) {
    if (applied.length === 0 && !onUntouched(t)) continue;
    owner.id = t.id;
    if (!fixerFor(t, input.kind)!(ctx as never)) continue;
    applied.push(t.id);
    // Printed after each fixer so every line knows its author; the last print is the result.
    steps.push({ text: serialize(parsed), by: t.id });
  }
  if (applied.length === 0) return { text: input.text, applied, steps };
  const text = steps[steps.length - 1]!.text;
  if (parses(input.kind, input.path, text)) return { text, applied, steps };
  // One of them broke the file: redo them one at a time and drop the culprit(s).
  return fixTreeStepwise(input, fixers, onUntouched, ws, created);
}

function fixTreeStepwise(input: FileInput, fixers: AnyTransform[], onUntouched: (t: AnyTransform) => boolean, ws: WorkspaceView, created: CreatedFile[]): FixRun {
  let text = input.text;
  const applied: string[] = [];
  const steps: FixStep[] = [];
  const broken: string[] = [];
  for (const t of fixers) {
    if (text === input.text && !onUntouched(t)) continue;
    const parsed = parse(input.kind, input.path, text);
    const ctx = makeContext({ ...input, text }, parsed, ws, new SuppressionIndex(findSuppressions(text)), created, { id: t.id });
    if (!fixerFor(t, input.kind)!(ctx as never)) continue;
    const next = serialize(parsed);
    if (parses(input.kind, input.path, next)) {
      text = next;
      applied.push(t.id);
      steps.push({ text, by: t.id });
    } else broken.push(t.id);
  }
  return {
    text,
    applied,
    steps,
    error: { line: 1, message: `fix by ${broken.join(', ')} produced code that does not parse; those changes were dropped (please report this with the file)` },
  };
}

/** Dockerfile, shell and ECS JSON: edits from every fixer per pass, overlaps wait for the next pass. */
function fixText(input: FileInput, fixers: AnyTransform[], ws: WorkspaceView, created: CreatedFile[]): FixRun {
  let text = input.text;
  const applied = new Set<string>();
  const steps: FixStep[] = [];
  let settled = false;
  for (let pass = 0; pass < MAX_PASSES; pass++) {
    const parsed = tryParse(input, text);
    if (!parsed) return { text: input.text, applied: [], steps: [], error: { line: 1, message: 'fixes produced a file that does not parse; nothing was changed' } };
    const owner = { id: '' };
    const ctx = makeContext({ ...input, text }, parsed, ws, new SuppressionIndex(findSuppressions(text)), created, owner);
    const edits: (TextEdit & { by: string })[] = [];
    for (const t of fixers) {
      owner.id = t.id;
      const own = fixerFor(t, input.kind)!(ctx as never) as TextEdit[];
      for (const e of own) edits.push({ ...e, by: t.id });
    }
    const real = edits.filter((e) => text.slice(e.start, e.end) !== e.text);
    if (real.length === 0) {
      settled = true;
      break;
    }
    const result = applyEdits(text, real);
    for (const e of result.applied) applied.add(e.by);
    // The pass's edits do not overlap: applying one fixer's more at a time gives each its own step.
    const by = new Set(result.applied.map((e) => e.by));
    const mine: typeof real = [];
    for (const t of fixers) {
      if (!by.has(t.id)) continue;
      mine.push(...result.applied.filter((e) => e.by === t.id));
      steps.push({ text: applyEdits(text, mine).text, by: t.id });
    }
    // Always one more pass: it applies deferred edits and lets fixers see
    // each other's output; the loop ends when no fixer has an edit left.
    text = result.text;
  }
  // A fix that still has edits after the last pass would change the file again
  // on every run: keep the file as it was and say so, rather than write half a loop.
  if (!settled) {
    const by = fixers.map((t) => t.id).filter((id) => applied.has(id));
    return { text: input.text, applied: [], steps: [], error: { line: 1, message: `fixes by ${by.join(', ')} did not settle after ${MAX_PASSES} passes; nothing was changed (please report this with the file)` } };
  }
  return { text, applied: fixers.map((t) => t.id).filter((id) => applied.has(id)), steps };
}
