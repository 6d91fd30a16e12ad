// Every Kubernetes manifest k8s-probes writes must be one the API server
// accepts: each document of every fixture output, and the demo's manifests
// after `shipshape fix`, are validated with the kubernetes-models packages
// (typed models generated from the Kubernetes OpenAPI schema; `validate()`
// checks types, enums and required fields such as httpGet.port).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { loadCases } from './helpers/fixtures.js';
import { DEMO, run } from './report-support.js';

interface Model {
  validate(): void;
}
type ModelClass = new (data: unknown) => Model;

/** The model class of a manifest's apiVersion and kind: `apps/v1` + `Deployment` is kubernetes-models/apps/v1/Deployment. */
async function modelOf(apiVersion: string, kind: string): Promise<ModelClass> {
  // Resolved by Node at run time (the package's exports map), not bundled by vite.
  const mod = (await import(/* @vite-ignore */ `kubernetes-models/${apiVersion}/${kind}`)) as Record<string, ModelClass>;
  const model = mod[kind];
  if (!model) throw new Error(`kubernetes-models has no ${apiVersion} ${kind}`);
  return model;
}

/** The validation errors of every document of a manifest file, one line each; empty when all are valid. */
async function problems(text: string): Promise<string[]> {
  const out: string[] = [];
  for (const doc of parseAllDocuments(text)) {
    const obj = doc.toJS() as { apiVersion?: string; kind?: string } | null;
    if (!obj) continue;
    const model = await modelOf(obj.apiVersion ?? '?', obj.kind ?? '?');
    try {
      new model(obj).validate();
    } catch (err) {
      out.push(`${obj.kind}: ${(err as Error).message}`);
    }
  }
  return out;
}

const cases = loadCases('k8s-probes');

describe('k8s-probes output validates against the Kubernetes models', () => {
  it('has fixture outputs to validate, some of them changed by the fix', () => {
    expect(cases.filter((c) => c.output !== null && c.output !== c.input).length).toBeGreaterThan(8);
  });

  it.each(cases.map((c) => [c.name, c] as const))('%s', async (_, c) => {
    expect(c.output, `${c.dir}: no output.yaml`).not.toBeNull();
    expect(await problems(c.output!)).toEqual([]);
  });

  it('rejects what the fixer must never write (the check is real)', async () => {
    const deployment = (container: string) =>
      [
        'apiVersion: apps/v1',
        'kind: Deployment',
        'metadata: {name: x}',
        'spec:',
        '  selector: {matchLabels: {app: x}}',
        '  template:',
        '    metadata: {labels: {app: x}}',
        '    spec:',
        '      containers:',
        `        - ${container}`,
        '',
      ].join('\n');
    expect(await problems(deployment('{name: x, image: x, livenessProbe: {httpGet: {path: /health}}}'))).toEqual([expect.stringMatching(/httpGet must have required property port/)]);
    expect(await problems(deployment('{name: x, image: x, lifecycle: {preStop: {sleep: {seconds: "5"}}}}'))).toEqual([expect.stringMatching(/seconds must be integer/)]);
    expect(await problems(deployment('{name: x, image: x, readinessProbe: {httpGet: {path: /ready, port: 3000}, periodSeconds: 5}}'))).toEqual([]);
  });
});

describe('the demo manifests after shipshape fix', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'shipshape-k8s-validate-'));
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('validate, and were changed by the fix', async () => {
    const root = path.join(tmp, 'demo');
    fs.cpSync(DEMO, root, { recursive: true });
    const dir = path.join(root, 'k8s');
    const files = fs.readdirSync(dir).filter((f) => f.endsWith('.yaml'));
    expect(files.length).toBeGreaterThan(0);
    const before = new Map(files.map((f) => [f, fs.readFileSync(path.join(dir, f), 'utf8')]));
    const fixed = await run(['fix', root, '--only', 'k8s-probes']);
    expect(fixed.code, fixed.stderr).toBe(0);
    for (const f of files) {
      const after = fs.readFileSync(path.join(dir, f), 'utf8');
      expect(after, `k8s/${f} was not changed by the fix`).not.toBe(before.get(f));
      expect(await problems(after), `k8s/${f}`).toEqual([]);
    }
  });
});
