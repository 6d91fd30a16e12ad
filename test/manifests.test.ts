// Deployment manifests (issue 14): found by content wherever they live, read
// by their own parsers (strict JSON with offsets for ECS, every document of a
// multi-document YAML for Kubernetes), and bad ones reported with a line.
import fs from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { parse, ParseError, manifestKindOf } from '../src/engine/parsers.js';
import { discover } from '../src/workspace/discover.js';
import { tmpWorkspace } from './helpers/tmp.js';

const roots: string[] = [];
const ws = (files: Record<string, string>) => {
  const r = tmpWorkspace(files);
  roots.push(r);
  return r;
};
afterEach(() => roots.splice(0).forEach((r) => fs.rmSync(r, { recursive: true, force: true })));

const TASK = JSON.stringify({ family: 'api', containerDefinitions: [{ name: 'api', image: 'api:latest' }] }, null, 2);
const DEPLOYMENT = 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\n';

describe('deployment manifest discovery', () => {
  it('finds task definitions and workload manifests by content, as repo-level files', () => {
    const root = ws({
      'package.json': JSON.stringify({ name: 'root', workspaces: ['services/*'] }),
      'services/api/package.json': JSON.stringify({ name: 'api' }),
      'services/api/task-definition.json': TASK,
      'deploy/ecs/worker.json': JSON.stringify({ taskDefinition: { containerDefinitions: [] } }),
      'k8s/api.yaml': `${DEPLOYMENT}---\napiVersion: v1\nkind: Service\nmetadata:\n  name: api\n`,
      'k8s/configmap.yaml': 'apiVersion: v1\nkind: ConfigMap\n',
      'chart/templates/deployment.yaml': 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\n',
      'data/fixtures.json': '{"containers": []}',
    });
    const files = discover(root).files.filter((f) => f.kind === 'ecs' || f.kind === 'k8s');
    expect(files).toEqual([
      { kind: 'ecs', path: 'deploy/ecs/worker.json', pkg: null },
      { kind: 'k8s', path: 'k8s/api.yaml', pkg: null },
      { kind: 'ecs', path: 'services/api/task-definition.json', pkg: null },
    ]);
  });

  it('knows a StatefulSet, quoted kinds and kinds with a comment', () => {
    expect(manifestKindOf('a.yml', 'apiVersion: apps/v1\nkind: "StatefulSet" # db\n')).toBe('k8s');
    expect(manifestKindOf('a.yml', 'kind: Deployment\n')).toBeNull();
    expect(manifestKindOf('a.txt', TASK)).toBeNull();
  });
});

describe('deployment manifest parsers', () => {
  it('keeps a task definition as a tree with offsets and its value', () => {
    const parsed = parse('ecs', 'td.json', TASK);
    if (parsed.kind !== 'ecs') throw new Error('kind');
    expect(parsed.tree.root.type).toBe('object');
    expect((parsed.tree.value as { family: string }).family).toBe('api');
  });

  it('rejects JSON with comments, trailing commas or a list on top, naming the line', () => {
    const bad = (text: string) => {
      try {
        parse('ecs', 'td.json', text);
      } catch (err) {
        if (err instanceof ParseError) return `${err.line}: ${err.message}`;
        throw err;
      }
      return 'parsed';
    };
    expect(bad('{\n  "family": "a",\n  // no\n  "containerDefinitions": []\n}')).toMatch(/^3: invalid JSON/);
    expect(bad('{\n  "containerDefinitions": [],\n}')).toMatch(/^3: invalid JSON/);
    expect(bad('[\n  {"containerDefinitions": []}\n]')).toBe('1: the top level is a list, but a task definition is an object');
  });

  it('reads every document of a Kubernetes file; a broken one is reported with its line', () => {
    const parsed = parse('k8s', 'k.yaml', `# head\n${DEPLOYMENT}---\n# svc\napiVersion: v1\nkind: Service\n`);
    if (parsed.kind !== 'k8s') throw new Error('kind');
    expect(parsed.docs.map((d) => d.get('kind'))).toEqual(['Deployment', 'Service']);
    expect(() => parse('k8s', 'k.yaml', `${DEPLOYMENT}---\n- a\n- b\n`)).toThrow(/top level is a list/);
    try {
      parse('k8s', 'k.yaml', `${DEPLOYMENT}---\nmetadata:\n  name: a\n  name: b\n`);
      throw new Error('parsed');
    } catch (err) {
      expect(err).toBeInstanceOf(ParseError);
      expect((err as ParseError).line).toBe(8);
    }
  });
});
