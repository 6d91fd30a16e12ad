// Reading and editing an ECS task definition as jsonc-parser's tree. The same
// container definitions come in three file shapes: the register-task-definition
// input and the file the deploy actions render (`family`, `containerDefinitions`
// and other task keys at the top), and describe-task-definition's output, where
// all of it sits under `taskDefinition`. Edits go through jsonc-parser's
// `modify`, which touches only the property it sets and formats it with the
// file's own indentation, so key order and everything else keep their bytes.
import { findNodeAtLocation, getNodeValue, modify, type FormattingOptions, type JSONPath, type Node } from 'jsonc-parser';
import { lineAt } from '../../../src/engine/text.js';
import type { EcsTree, TextEdit } from '../../../src/engine/types.js';

/** Where a task definition keeps its container list, per file shape. */
const CONTAINER_LISTS: JSONPath[] = [['containerDefinitions'], ['taskDefinition', 'containerDefinitions']];

export interface EcsContainer {
  /** JSON path of the container object, for `modify`. */
  path: JSONPath;
  node: Node;
  value: Record<string, unknown>;
  /** 1-based line of the container object's `{`. */
  line: number;
  /** `name`, or `#<index>` when the definition has none (ECS requires one, but a template may not). */
  label: string;
}

/** Every container definition object of the file, in file order. */
export function containersOf(tree: EcsTree, text: string): EcsContainer[] {
  const out: EcsContainer[] = [];
  for (const listPath of CONTAINER_LISTS) {
    const list = findNodeAtLocation(tree.root, listPath);
    if (list?.type !== 'array') continue;
    (list.children ?? []).forEach((node, index) => {
      if (node.type !== 'object') return;
      const value = getNodeValue(node) as Record<string, unknown>;
      out.push({ path: [...listPath, index], node, value, line: lineAt(text, node.offset), label: typeof value.name === 'string' ? value.name : `#${index}` });
    });
  }
  return out;
}

/** The node of a container's own property, when it has one. */
export function propertyNode(container: EcsContainer, key: string): Node | undefined {
  return findNodeAtLocation(container.node, [key]);
}

const VALID_PORT = (n: number) => Number.isInteger(n) && n > 0 && n <= 65535;

/** `PORT` from the container's `environment` ([{ name, value }]), when it is a port number. */
export function environmentPort(container: EcsContainer): number | null {
  const env = container.value.environment;
  if (!Array.isArray(env)) return null;
  const entry = env.find((e): e is { name: string; value?: unknown } => typeof e === 'object' && e !== null && (e as { name?: unknown }).name === 'PORT');
  const raw = entry?.value;
  const n = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : typeof raw === 'number' ? raw : NaN;
  return VALID_PORT(n) ? n : null;
}

/** The first port mapping's `containerPort`: the port the load balancer's target group sends traffic to. */
export function mappedPort(container: EcsContainer): number | null {
  const mappings = container.value.portMappings;
  const first: unknown = Array.isArray(mappings) ? mappings[0] : undefined;
  const port = typeof first === 'object' && first !== null ? (first as { containerPort?: unknown }).containerPort : undefined;
  return typeof port === 'number' && VALID_PORT(port) ? port : null;
}

/**
 * The file's indentation, read off the root object's first key: tabs, or the
 * number of spaces it sits in from the root's line. A one-line file gets 2
 * spaces (jsonc-parser then spreads the edited object over lines).
 */
export function formattingOf(root: Node, text: string): FormattingOptions {
  const fallback: FormattingOptions = { insertSpaces: true, tabSize: 2, eol: '\n' };
  const first = root.children?.[0];
  if (!first) return fallback;
  const start = text.lastIndexOf('\n', first.offset - 1) + 1;
  if (start <= root.offset) return fallback;
  const rootLine = text.lastIndexOf('\n', root.offset - 1) + 1;
  const rootIndent = text.slice(rootLine, root.offset).length;
  const lead = text.slice(start, first.offset);
  if (lead.trim() !== '' || lead.length <= rootIndent) return fallback;
  if (lead.startsWith('\t')) return { insertSpaces: false, tabSize: 4, eol: '\n' };
  return { insertSpaces: true, tabSize: lead.length - rootIndent, eol: '\n' };
}

/** Sets `key` of the container to `value` (added after its last property, or replaced in place) as text edits. */
export function setProperty(text: string, container: EcsContainer, key: string, value: unknown, formatting: FormattingOptions): TextEdit[] {
  return modify(text, [...container.path, key], value, { formattingOptions: formatting }).map((e) => ({ start: e.offset, end: e.offset + e.length, text: e.content }));
}
