// A Dockerfile as rules need it: instructions with 1-based lines and string
// offsets, grouped into stages, with RUN/CMD shell parsed once on demand.
import { DockerfileParser, type Dockerfile, type Instruction } from 'dockerfile-ast';
import { parseShell, type ShellTree } from './shell.js';

export interface DockerInstruction {
  keyword: string;
  /** Arguments with line continuations folded, as Docker sees them. */
  args: string;
  /** 1-based first and last line. */
  line: number;
  endLine: number;
  /** Offsets of the whole instruction in the file text. */
  start: number;
  end: number;
  /** Offset of the start of the instruction's first line and of the line after its last. */
  lineStart: number;
  lineEnd: number;
  /** For CMD/ENTRYPOINT/HEALTHCHECK CMD/RUN: exec form `[...]` parsed, else null. */
  execForm: string[] | null;
  stage: number;
  node: Instruction;
}

export interface DockerStage {
  index: number;
  name: string | null;
  /** `node` in `node:22-alpine`, lower-cased. */
  image: string;
  tag: string | null;
  from: DockerInstruction;
  instructions: DockerInstruction[];
}

export interface DockerfileTree {
  text: string;
  ast: Dockerfile;
  instructions: DockerInstruction[];
  stages: DockerStage[];
  /** The runtime image: the last stage. */
  final: DockerStage | undefined;
  /** The shell of a RUN (or shell-form CMD) instruction, parsed once; null if it does not parse. */
  shellOf(instr: DockerInstruction): ShellTree | null;
}

function lineOffsets(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === '\n') starts.push(i + 1);
  return starts;
}

/** The command part of an instruction: HEALTHCHECK's after its options and `CMD`, else all arguments. */
function commandText(keyword: string, args: string): string {
  return keyword === 'HEALTHCHECK' ? args.replace(/^.*?\bCMD\s+/is, '') : args;
}

function parseExecForm(args: string): string[] | null {
  const trimmed = args.trim();
  if (!trimmed.startsWith('[')) return null;
  try {
    const value: unknown = JSON.parse(trimmed);
    return Array.isArray(value) && value.every((v) => typeof v === 'string') ? (value as string[]) : null;
  } catch {
    return null;
  }
}

export function parseDockerfile(text: string): DockerfileTree {
  const ast = DockerfileParser.parse(text);
  const starts = lineOffsets(text);
  const offset = (p: { line: number; character: number }) => (starts[p.line] ?? text.length) + p.character;
  const stages: DockerStage[] = [];
  const instructions: DockerInstruction[] = [];
  for (const node of ast.getInstructions()) {
    const range = node.getRange();
    const keyword = node.getKeyword().toUpperCase();
    const args = node.getArgumentsContent() ?? '';
    const stageIndex = keyword === 'FROM' ? stages.length : Math.max(stages.length - 1, 0);
    const instr: DockerInstruction = {
      keyword,
      args,
      line: range.start.line + 1,
      endLine: range.end.line + 1,
      start: offset(range.start),
      end: offset(range.end),
      lineStart: starts[range.start.line] ?? 0,
      lineEnd: starts[range.end.line + 1] ?? text.length,
      execForm: parseExecForm(commandText(keyword, args)),
      stage: stageIndex,
      node,
    };
    instructions.push(instr);
    if (keyword === 'FROM') {
      const from = node as unknown as { getImageName(): string | null; getImageTag(): string | null; getBuildStage(): string | null };
      stages.push({
        index: stages.length,
        name: from.getBuildStage(),
        image: (from.getImageName() ?? '').toLowerCase(),
        tag: from.getImageTag(),
        from: instr,
        instructions: [instr],
      });
    } else if (stages.length > 0) {
      stages[stages.length - 1]!.instructions.push(instr);
    }
  }
  const shells = new Map<DockerInstruction, ShellTree | null>();
  return {
    text,
    ast,
    instructions,
    stages,
    final: stages[stages.length - 1],
    shellOf(instr) {
      if (!shells.has(instr)) {
        let tree: ShellTree | null = null;
        if (!instr.execForm) {
          try {
            tree = parseShell(commandText(instr.keyword, instr.args), `${instr.keyword} line ${instr.line}`);
          } catch {
            tree = null;
          }
        }
        shells.set(instr, tree);
      }
      return shells.get(instr) ?? null;
    },
  };
}

/** Node major version of a `node:<tag>` base image, or null when not derivable. */
export function nodeMajor(stage: DockerStage | undefined): number | null {
  if (!stage || !/(^|\/)node$/.test(stage.image) || !stage.tag) return null;
  const m = /^(\d+)/.exec(stage.tag);
  return m ? Number(m[1]) : null;
}

export function isAlpine(stage: DockerStage | undefined): boolean {
  return !!stage?.tag && /alpine/.test(stage.tag);
}
