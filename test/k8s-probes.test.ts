// k8s-probes through the engine (fixFile prints every document of the file):
// a fix only inserts lines, in the style the document is written in, and the
// documents it does not touch come out byte for byte. The fixtures cover the
// rules case by case; this covers the ways people write the same manifest.
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { fixFile, scanFile } from '../src/engine/run-file.js';
import { defaultService, standaloneWorkspace } from '../src/engine/standalone.js';
import type { AnyTransform, Service } from '../src/engine/types.js';
import { registry } from '../transforms/registry.js';
import { REPO } from './helpers/fixtures.js';

const transform = (await registry.find((e) => e.id === 'k8s-probes')!.load()) as AnyTransform;
const PATH = 'k8s/orders.yaml';
const ORDERS: Partial<Service> = { name: 'orders', dir: 'services/orders', type: 'api', port: 3000, health: '/health', ready: '/ready', shutdownTimeoutMs: 10000 };

function workspace(text: string, services: Partial<Service>[] = [ORDERS]) {
  return standaloneWorkspace({ root: REPO, services: services.map((s) => defaultService(s)), config: { rules: {}, ignoreServices: [], defaults: {} }, files: { [PATH]: text } });
}

function fix(text: string, services?: Partial<Service>[]) {
  const out = fixFile({ kind: 'k8s', path: PATH, text, service: null }, [transform], [transform], workspace(text, services));
  expect(out.error).toBeUndefined();
  return out.output ?? text;
}

function scan(text: string, services?: Partial<Service>[]) {
  return scanFile({ kind: 'k8s', path: PATH, text, service: null }, [transform], workspace(text, services)).findings;
}

/** True when every line of `a` appears in `b`, in order: `b` is `a` with lines inserted. */
function onlyInserts(a: string, b: string): boolean {
  const want = a.split('\n');
  let i = 0;
  for (const line of b.split('\n')) if (line === want[i]) i++;
  return i === want.length;
}

/** Each document's source text, `---` line included. */
function documents(text: string): string[] {
  return parseAllDocuments(text).map((d, i, all) => text.slice(i === 0 ? 0 : all[i - 1]!.range[2], d.range[2]));
}

// One Deployment and one Service, written three ways people write them.
const INDENTED = `# orders
apiVersion: apps/v1
kind: Deployment
metadata:
  name: orders
spec:
  selector:
    matchLabels:
      app: orders
  template:
    metadata:
      labels:
        app: orders
    spec:
      containers:
        - name: orders # the API
          image: ghcr.io/acme/orders:1.0.0
          ports:
            - name: http
              containerPort: 3000
          env:
            - name: NODE_ENV
              value: production
---
# in front of the pods
apiVersion: v1
kind: Service
metadata:
  name: orders
spec:
  ports:
    - port: 80
      targetPort: http
`;

const KUBECTL = `# orders
apiVersion: apps/v1
kind: Deployment
metadata:
  name: orders
spec:
  selector:
    matchLabels:
      app: orders
  template:
    metadata:
      labels:
        app: orders
    spec:
      containers:
      - name: orders # the API
        image: ghcr.io/acme/orders:1.0.0
        ports:
        - name: http
          containerPort: 3000
        env:
        - name: NODE_ENV
          value: production
---
# in front of the pods
apiVersion: v1
kind: Service
metadata:
  name: orders
spec:
  ports:
  - port: 80
    targetPort: http
`;

const FOUR = `# orders
apiVersion: apps/v1
kind: Deployment
metadata:
    name: orders
spec:
    selector:
        matchLabels:
            app: orders
    template:
        metadata:
            labels:
                app: orders
        spec:
            containers:
                - name: orders # the API
                  image: ghcr.io/acme/orders:1.0.0
                  ports:
                      - name: http
                        containerPort: 3000
                  env:
                      - name: NODE_ENV
                        value: production
---
# in front of the pods
apiVersion: v1
kind: Service
metadata:
    name: orders
spec:
    ports:
        - port: 80
          targetPort: http
`;

/** The column of the container's keys in each style. */
const STYLES = [
  ['lists indented under their key', INDENTED, 10],
  ['lists at the key column (kubectl)', KUBECTL, 8],
  ['four-space indent', FOUR, 18],
] as const;

describe('k8s-probes keeps the file as written', () => {
  it.each(STYLES)('%s: only inserts lines, and the Service document is byte-identical', (_, input, column) => {
    const output = fix(input);
    expect(output).not.toBe(input);
    expect(onlyInserts(input, output), output).toBe(true);
    expect(documents(output)[1]).toBe(documents(input)[1]);
    for (const key of ['livenessProbe:', 'readinessProbe:', 'startupProbe:', 'lifecycle:']) expect(output.split('\n')).toContain(`${' '.repeat(column)}${key}`);
    expect(fix(output)).toBe(output);
  });

  it('leaves a file with nothing to fix alone, even in a style the printer would change', () => {
    const input = KUBECTL.replace('- name: NODE_ENV', '- name: NODE_ENV   # spaced comment');
    const services = [{ ...ORDERS, type: 'worker' as const, port: null }];
    expect(scan(input, services)).toEqual([]);
    expect(fix(input, services)).toBe(input);
  });
});

/** The orders Deployment with `container` as its container's keys after name and image (10-space indented lines). */
function withContainer(container: string): string {
  return INDENTED.split('          ports:')[0]! + container + INDENTED.slice(INDENTED.indexOf('---'));
}

describe('k8s-probes findings', () => {
  it('suppresses the liveness finding with a comment above the path line, as the rule page says', () => {
    const input = withContainer(`          livenessProbe:
            httpGet:
              # shipshape-ignore k8s-liveness-on-ready
              path: /ready
              port: 3000
`);
    const rules = scan(input).map((f) => f.rule);
    expect(rules).not.toContain('k8s-liveness-on-ready');
    expect(rules).toContain('k8s-missing-probes');
    const output = fix(input);
    expect(output).toContain('              path: /ready\n');
    expect(output).toContain('          readinessProbe:\n');
  });

  it('names the service and says manual when the port is unknown', () => {
    const input = withContainer('');
    const probes = scan(input, [{ ...ORDERS, port: null }]).find((f) => f.rule === 'k8s-missing-probes');
    expect(probes?.fix).toBeNull();
    expect(probes?.service).toBe('orders');
    expect(probes?.message).toMatch(/^manual: .*cannot tell its port/);
  });

  it('counts an exec sleep inside sh -c toward the grace period, and equal to it is too short', () => {
    const input = withContainer(`          livenessProbe: {httpGet: {path: /health, port: 3000}}
          readinessProbe: {httpGet: {path: /ready, port: 3000}}
          lifecycle:
            preStop:
              exec:
                command: ["/bin/sh", "-c", "echo bye; sleep 20"]
`);
    const grace = scan(input).filter((f) => f.rule === 'k8s-grace-too-short');
    expect(grace.map((f) => f.message)).toEqual([expect.stringMatching(/forces exit after 10000 ms \(after a 20 s preStop\).*raise it to 35$/)]);
    expect(scan(input, [{ ...ORDERS, shutdownTimeoutMs: 9999 }]).filter((f) => f.rule === 'k8s-grace-too-short')).toEqual([]);
    expect(fix(input)).toContain('          lifecycle:\n            preStop:\n              exec:\n');
    expect(fix(input)).toContain('      terminationGracePeriodSeconds: 35\n');
  });
});
