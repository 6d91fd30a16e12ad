// `shipshape new` in a monorepo that deploys with ECS task definitions and
// Kubernetes manifests writes the new package's own, the way the repo's are
// written: beside them, named like them, shaped like them (task fields, log
// configuration, labels, namespace, resources), with the health wiring the
// platform actually runs (ECS runs the task definition's healthCheck, never
// the image's; Kubernetes runs probes) and stop/grace periods that outlast
// the code's force-exit timer. The proof is the product's own: `shipshape
// scan` of the result has no finding of the five deployment rules for the new
// packages, while the same rules do fire on the repo's own defective
// manifests; the ECS output validates against the ecs-healthcheck schema
// (ajv) and the Kubernetes output against kubernetes-models.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import AjvModule from 'ajv';
import { Deployment } from 'kubernetes-models/apps/v1';
import { Service } from 'kubernetes-models/v1';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { newCommand, type NewOptions } from '../src/commands/new.js';
import { parseDockerfile } from '../src/engine/dockerfile.js';
import { manifestKindOf } from '../src/engine/parsers.js';
import { UsageError } from '../src/engine/pipeline.js';
import { copyDir } from './helpers/tmp.js';

const run = promisify(execFile);
const REPO = path.resolve(import.meta.dirname, '..');
const BIN = path.join(REPO, 'bin', 'shipshape.js');
const DEMO = path.join(REPO, 'fixtures', 'monorepo');
const RULES = ['ecs-missing-healthcheck', 'ecs-stop-timeout-short', 'k8s-missing-probes', 'k8s-liveness-on-ready', 'k8s-grace-too-short'];
/** The force-exit timer the templates give every package's shutdown handler. */
const TIMER_MS = 8000;

const Ajv = AjvModule.default;
const ecsSchema = new Ajv({ allErrors: true, strict: true, strictTuples: false }).compile(
  JSON.parse(fs.readFileSync(path.join(REPO, 'transforms', 'ecs', 'schema', 'ecs-task-definition.schema.json'), 'utf8')) as object,
);

function ecsProblems(value: unknown): string[] {
  return ecsSchema(value) ? [] : (ecsSchema.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? e.keyword}`);
}

/** Every document of a manifest, validated by kubernetes-models (throws on the first schema error). */
function k8sDocs(text: string): Record<string, any>[] {
  return parseAllDocuments(text).map((d) => {
    const obj = (d as { toJS(): Record<string, any> }).toJS();
    if (obj.kind === 'Service') new Service(obj as ConstructorParameters<typeof Service>[0]).validate();
    else if (obj.kind === 'Deployment') new Deployment(obj as ConstructorParameters<typeof Deployment>[0]).validate();
    else throw new Error(`unexpected kind ${String(obj.kind)}`);
    return obj;
  });
}

// The repo's own manifests, one file per service, each with the defects the rules are about (no healthCheck, no probes, no preStop).
const ECS_SERVICE = `{
    "family": "course-service",
    "executionRoleArn": "arn:aws:iam::123456789012:role/ecsTaskExecutionRole",
    "taskRoleArn": "arn:aws:iam::123456789012:role/course-service-task",
    "networkMode": "awsvpc",
    "requiresCompatibilities": ["FARGATE"],
    "cpu": "512",
    "memory": "1024",
    "containerDefinitions": [
        {
            "name": "course-service",
            "image": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/fitness/course-service:2.3.0",
            "essential": true,
            "portMappings": [{ "containerPort": 3003, "hostPort": 3003, "protocol": "tcp" }],
            "environment": [{ "name": "PORT", "value": "3003" }],
            "secrets": [{ "name": "MONGO_URI", "valueFrom": "arn:aws:ssm:eu-west-1:123456789012:parameter/course-service/mongo-uri" }],
            "logConfiguration": {
                "logDriver": "awslogs",
                "options": { "awslogs-group": "/ecs/course-service", "awslogs-region": "eu-west-1", "awslogs-stream-prefix": "course-service" }
            }
        }
    ]
}
`;
const ECS_WORKER = `{
    "family": "purchase-worker",
    "executionRoleArn": "arn:aws:iam::123456789012:role/ecsTaskExecutionRole",
    "networkMode": "awsvpc",
    "requiresCompatibilities": ["FARGATE"],
    "cpu": "256",
    "memory": "512",
    "containerDefinitions": [
        {
            "name": "purchase-worker",
            "image": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/fitness/purchase-worker:2.3.0",
            "essential": true,
            "environment": [{ "name": "KAFKA_BROKERS", "value": "b-1.msk.internal:9092,b-2.msk.internal:9092" }],
            "stopTimeout": 5
        }
    ]
}
`;
const K8S_SERVICE = `# course-service: the catalogue API
apiVersion: apps/v1
kind: Deployment
metadata:
  name: course-service
  namespace: fitness
  labels:
    app.kubernetes.io/name: course-service
    app.kubernetes.io/part-of: fitness
spec:
  replicas: 3
  selector:
    matchLabels:
      app.kubernetes.io/name: course-service
  template:
    metadata:
      labels:
        app.kubernetes.io/name: course-service
        app.kubernetes.io/part-of: fitness
    spec:
      securityContext:
        runAsNonRoot: true
      containers:
        - name: course-service
          image: ghcr.io/acme/fitness/course-service:2.3.0
          ports:
            - containerPort: 3003
          env:
            - name: PORT
              value: "3003"
            - name: MONGO_URI
              valueFrom:
                secretKeyRef:
                  name: course-service-secrets
                  key: mongo-uri
          resources:
            requests:
              cpu: 100m
              memory: 128Mi
---
apiVersion: v1
kind: Service
metadata:
  name: course-service
  namespace: fitness
spec:
  selector:
    app.kubernetes.io/name: course-service
  ports:
    - port: 80
      targetPort: 3003
`;
const K8S_WORKER = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: purchase-worker
  namespace: fitness
spec:
  selector:
    matchLabels:
      app.kubernetes.io/name: purchase-worker
  template:
    metadata:
      labels:
        app.kubernetes.io/name: purchase-worker
    spec:
      terminationGracePeriodSeconds: 5
      containers:
        - name: purchase-worker
          image: ghcr.io/acme/fitness/purchase-worker:2.3.0
          env:
            - name: KAFKA_BROKERS
              value: kafka.fitness.svc:9092
`;

const temps: string[] = [];
afterAll(() => temps.splice(0).forEach((t) => fs.rmSync(t, { recursive: true, force: true })));

/** Every file under root: path → content. */
function files(root: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(path.join(root, dir), { withFileTypes: true })) {
      const rel = path.posix.join(dir, e.name);
      if (e.isDirectory()) walk(rel);
      else out.set(rel, fs.readFileSync(path.join(root, rel), 'utf8'));
    }
  };
  walk('');
  return out;
}

/** A copy of the demo monorepo without any deployment manifest of its own, plus `manifests`. */
function demoWith(manifests: Record<string, string>): string {
  const root = copyDir(DEMO);
  temps.push(root);
  for (const [file, text] of files(root)) if (manifestKindOf(file, text)) fs.rmSync(path.join(root, file));
  for (const [file, text] of Object.entries(manifests)) {
    fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    fs.writeFileSync(path.join(root, file), text);
  }
  return root;
}

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], { cwd: REPO, encoding: 'utf8', timeout: 120_000, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, NO_COLOR: '1' } });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: unknown; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

/** `new` in-process; the UsageError message (exit 2), or null on success. */
async function runNew(kind: string, opts: NewOptions): Promise<string | null> {
  const quiet = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  try {
    expect(await newCommand(kind, { yes: true, ...opts })).toBe(0);
    return null;
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    return err.message;
  } finally {
    quiet.mockRestore();
  }
}
afterEach(() => vi.restoreAllMocks());

describe('shipshape new, in a monorepo with one ECS task definition and one Kubernetes manifest per service', () => {
  let root: string;
  let before: Map<string, string>;
  const out: Record<string, string> = {};
  const NEW_FILES = ['deploy/ecs/billing-service.json', 'deploy/ecs/billing-worker.json', 'k8s/billing-service.yaml', 'k8s/billing-worker.yaml'];

  beforeAll(async () => {
    root = demoWith({
      'deploy/ecs/course-service.json': ECS_SERVICE,
      'deploy/ecs/purchase-worker.json': ECS_WORKER,
      'k8s/course-service.yaml': K8S_SERVICE,
      'k8s/purchase-worker.yaml': K8S_WORKER,
    });
    before = files(root);
    const service = await cli(['new', 'service', '--name', 'billing-service', '--yes', '--root', root]);
    expect(service.stderr).toBe('');
    expect(service.code).toBe(0);
    const worker = await cli(['new', 'worker', '--name', 'billing-worker', '--topic', 'payments', '--yes', '--root', root]);
    expect(worker.stderr).toBe('');
    expect(worker.code).toBe(0);
    out.service = service.stdout;
    out.worker = worker.stdout;
  }, 240_000);

  it('creates one task definition and one manifest per new package beside the existing ones, lists them, and leaves those untouched', () => {
    const after = files(root);
    const created = [...after.keys()].filter((f) => !before.has(f) && !f.startsWith('services/'));
    expect(created.sort()).toEqual(NEW_FILES);
    for (const f of ['deploy/ecs/course-service.json', 'deploy/ecs/purchase-worker.json', 'k8s/course-service.yaml', 'k8s/purchase-worker.yaml']) expect(after.get(f), f).toBe(before.get(f));
    // Listed with the package's files, before the files it updates.
    const listed = (stdout: string) => stdout.slice(0, stdout.indexOf('updated\n'));
    expect(listed(out.service!)).toContain('  deploy/ecs/billing-service.json\n  k8s/billing-service.yaml\n');
    expect(listed(out.worker!)).toContain('  deploy/ecs/billing-worker.json\n  k8s/billing-worker.yaml\n');
    // What the user must still provide: the service's database secret (named like its neighbour's), the worker's database.
    expect(out.service).toContain('deploy/ecs/billing-service.json: MONGO_URI comes from "arn:aws:ssm:eu-west-1:123456789012:parameter/billing-service/mongo-uri"');
    expect(out.service).toContain('create the task role arn:aws:iam::123456789012:role/billing-service-task');
    expect(out.worker).toContain('deploy/ecs/billing-worker.json: give the billing-worker container MONGO_URI');
  });

  it("the service's task definition: the sibling's task fields, its image repository renamed, port, PORT, the Dockerfile's probe, a stop timeout above the timer", () => {
    const text = fs.readFileSync(path.join(root, 'deploy/ecs/billing-service.json'), 'utf8');
    expect(text.split('\n')[1]).toMatch(/^ {4}"family"/);
    const def = JSON.parse(text);
    expect(ecsProblems(def)).toEqual([]);
    expect(Object.keys(def)).toEqual(['family', 'executionRoleArn', 'taskRoleArn', 'networkMode', 'requiresCompatibilities', 'cpu', 'memory', 'containerDefinitions']);
    expect(def).toMatchObject({
      family: 'billing-service',
      executionRoleArn: 'arn:aws:iam::123456789012:role/ecsTaskExecutionRole',
      taskRoleArn: 'arn:aws:iam::123456789012:role/billing-service-task',
      networkMode: 'awsvpc',
      requiresCompatibilities: ['FARGATE'],
      cpu: '512',
      memory: '1024',
    });
    expect(def.containerDefinitions).toHaveLength(1);
    const c = def.containerDefinitions[0];
    expect(c).toMatchObject({
      name: 'billing-service',
      image: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/fitness/billing-service:2.3.0',
      essential: true,
      portMappings: [{ containerPort: 3005, hostPort: 3005, protocol: 'tcp' }],
      environment: [{ name: 'PORT', value: '3005' }],
      secrets: [{ name: 'MONGO_URI', valueFrom: 'arn:aws:ssm:eu-west-1:123456789012:parameter/billing-service/mongo-uri' }],
      logConfiguration: { logDriver: 'awslogs', options: { 'awslogs-group': '/ecs/billing-service', 'awslogs-region': 'eu-west-1', 'awslogs-stream-prefix': 'billing-service' } },
    });
    // ECS runs this, not the image's HEALTHCHECK: the same command with the same timing.
    const dockerfileText = fs.readFileSync(path.join(root, 'services/billing-service/Dockerfile'), 'utf8');
    const hc = parseDockerfile(dockerfileText).final!.instructions.find((i) => i.keyword === 'HEALTHCHECK')!;
    expect(c.healthCheck).toEqual({ command: ['CMD', ...hc.execForm!], interval: 10, timeout: 5, retries: 3, startPeriod: 20 });
    expect(dockerfileText).toContain('HEALTHCHECK --interval=10s --timeout=5s --start-period=20s --retries=3 ');
    expect(c.stopTimeout * 1000).toBeGreaterThan(TIMER_MS);
  });

  it("the worker's task definition: no port mappings, no healthCheck, the broker list its neighbour uses, a stop timeout above the timer", () => {
    const def = JSON.parse(fs.readFileSync(path.join(root, 'deploy/ecs/billing-worker.json'), 'utf8'));
    expect(ecsProblems(def)).toEqual([]);
    expect(def.family).toBe('billing-worker');
    expect(def.containerDefinitions).toEqual([
      {
        name: 'billing-worker',
        image: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/fitness/billing-worker:2.3.0',
        essential: true,
        environment: [{ name: 'KAFKA_BROKERS', value: 'b-1.msk.internal:9092,b-2.msk.internal:9092' }],
        stopTimeout: Math.ceil(TIMER_MS / 1000) + 5,
      },
    ]);
  });

  it("the service's manifest: a Deployment with a named http port, PORT, probes on /health and /ready, a preStop sleep and a grace period that fits both; and a Service", () => {
    const text = fs.readFileSync(path.join(root, 'k8s/billing-service.yaml'), 'utf8');
    const [deployment, service, ...rest] = k8sDocs(text);
    expect(rest).toEqual([]);
    // Sequences indented under their key, like the sibling's.
    expect(text).toContain('\n      containers:\n        - name: billing-service\n');
    expect(deployment!.metadata).toEqual({ name: 'billing-service', namespace: 'fitness', labels: { 'app.kubernetes.io/name': 'billing-service', 'app.kubernetes.io/part-of': 'fitness' } });
    expect(deployment!.spec.replicas).toBe(3);
    expect(deployment!.spec.selector).toEqual({ matchLabels: { 'app.kubernetes.io/name': 'billing-service' } });
    expect(deployment!.spec.template.metadata.labels).toEqual({ 'app.kubernetes.io/name': 'billing-service', 'app.kubernetes.io/part-of': 'fitness' });
    const pod = deployment!.spec.template.spec;
    expect(pod.securityContext).toEqual({ runAsNonRoot: true });
    expect(pod.containers).toHaveLength(1);
    const c = pod.containers[0];
    expect(c).toMatchObject({
      name: 'billing-service',
      image: 'ghcr.io/acme/fitness/billing-service:2.3.0',
      ports: [{ name: 'http', containerPort: 3005 }],
      env: [{ name: 'PORT', value: '3005' }, { name: 'MONGO_URI', valueFrom: { secretKeyRef: { name: 'billing-service-secrets', key: 'mongo-uri' } } }],
      resources: { requests: { cpu: '100m', memory: '128Mi' } },
      livenessProbe: { httpGet: { path: '/health', port: 'http' } },
      readinessProbe: { httpGet: { path: '/ready', port: 'http' } },
      startupProbe: { httpGet: { path: '/health', port: 'http' } },
      lifecycle: { preStop: { sleep: { seconds: 5 } } },
    });
    expect(pod.terminationGracePeriodSeconds * 1000).toBeGreaterThan(TIMER_MS + c.lifecycle.preStop.sleep.seconds * 1000);
    // PORT stays a string for YAML 1.1 readers too.
    expect(text).toContain('value: "3005"');
    expect(service).toEqual({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'billing-service', namespace: 'fitness', labels: deployment!.metadata.labels },
      spec: { selector: { 'app.kubernetes.io/name': 'billing-service' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] },
    });
  });

  it("the worker's manifest: one Deployment, no port, no probe, no Service, a grace period above the timer", () => {
    const docs = k8sDocs(fs.readFileSync(path.join(root, 'k8s/billing-worker.yaml'), 'utf8'));
    expect(docs.map((d) => d.kind)).toEqual(['Deployment']);
    const pod = docs[0]!.spec.template.spec;
    expect(pod.containers).toEqual([
      { name: 'billing-worker', image: 'ghcr.io/acme/fitness/billing-worker:2.3.0', env: [{ name: 'KAFKA_BROKERS', value: 'kafka.fitness.svc:9092' }] },
    ]);
    expect(pod.terminationGracePeriodSeconds * 1000).toBeGreaterThan(TIMER_MS);
  });

  it('scan: no finding of the deployment rules for the new packages, while they fire on the defective neighbours', async () => {
    const rules = await cli(['rules', '--format', 'json']);
    expect(rules.code).toBe(0);
    const catalog = JSON.parse(rules.stdout) as { id: string }[] | { rules: { id: string }[] };
    const ids = (Array.isArray(catalog) ? catalog : catalog.rules).map((r) => r.id);
    expect(ids).toEqual(expect.arrayContaining(RULES));

    const r = await cli(['scan', root, '--format', 'json']);
    expect(r.stderr).toBe('');
    const report = JSON.parse(r.stdout) as { services: { name: string; shutdownTimeoutMs: number | null }[]; findings: { rule: string; service: string | null; file: string; message: string }[] };
    // The rules judge the new packages by their code's own timer: the one the manifests were made for.
    expect(report.services.filter((s) => s.name.startsWith('billing-')).map((s) => s.shutdownTimeoutMs)).toEqual([TIMER_MS, TIMER_MS]);
    const deploy = report.findings.filter((f) => RULES.includes(f.rule));
    expect(deploy.filter((f) => NEW_FILES.includes(f.file) || f.service === 'billing-service' || f.service === 'billing-worker')).toEqual([]);
    const fired = (file: string) => [...new Set(deploy.filter((f) => f.file === file).map((f) => f.rule))].sort();
    expect(fired('deploy/ecs/course-service.json')).toEqual(['ecs-missing-healthcheck']);
    expect(fired('k8s/course-service.yaml')).toEqual(['k8s-grace-too-short', 'k8s-missing-probes']);
    expect(fired('k8s/purchase-worker.yaml')).toEqual(['k8s-grace-too-short']);
  });
});

describe('other repo conventions', () => {
  it('a repo without deployment manifests gets none: every new file is in the package', async () => {
    const root = demoWith({});
    const before = files(root);
    expect(await runNew('service', { name: 'billing-service', root })).toBeNull();
    expect(await runNew('worker', { name: 'billing-worker', topic: 'payments', root })).toBeNull();
    const after = files(root);
    const created = [...after.keys()].filter((f) => !before.has(f));
    expect(created.length).toBe(14);
    expect(created.filter((f) => !f.startsWith('services/billing-service/') && !f.startsWith('services/billing-worker/'))).toEqual([]);
    expect([...after.keys()].filter((f) => before.has(f) && before.get(f) !== after.get(f)).sort()).toEqual(['.github/workflows/docker-build.yml', 'docker-compose.yml']);
  });

  it('one task definition running every service: the new container goes in after its kind, the rest of the file keeps its bytes', async () => {
    const shared = {
      family: 'fitness',
      networkMode: 'awsvpc',
      requiresCompatibilities: ['FARGATE'],
      cpu: '1024',
      memory: '2048',
      containerDefinitions: [
        { name: 'api-gateway', image: 'acme/api-gateway:7', essential: true, portMappings: [{ containerPort: 3000, protocol: 'tcp' }], dependsOn: [{ containerName: 'log-router', condition: 'START' }] },
        { name: 'course-service', image: 'acme/course-service:7', essential: true, portMappings: [{ containerPort: 3003, protocol: 'tcp' }], dependsOn: [{ containerName: 'log-router', condition: 'START' }] },
        { name: 'purchase-worker', image: 'acme/purchase-worker:7', essential: true, environment: [{ name: 'KAFKA_BROKERS', value: 'b-1.msk:9092' }] },
        { name: 'log-router', image: 'amazon/aws-for-fluent-bit:stable', essential: true, firelensConfiguration: { type: 'fluentbit' } },
      ],
    };
    // Tabs and CRLF: the insertion must write the same.
    const text = `${JSON.stringify(shared, null, '\t').split('\n').join('\r\n')}\r\n`;
    const root = demoWith({ 'infra/task-definition.json': text });
    expect(await runNew('service', { name: 'billing-service', root })).toBeNull();
    const after = fs.readFileSync(path.join(root, 'infra/task-definition.json'), 'utf8');
    const def = JSON.parse(after);
    expect(ecsProblems(def)).toEqual([]);
    expect(def.containerDefinitions.map((c: { name: string }) => c.name)).toEqual(['api-gateway', 'course-service', 'billing-service', 'purchase-worker', 'log-router']);
    const c = def.containerDefinitions[2];
    expect(c).toMatchObject({ image: 'acme/billing-service:7', portMappings: [{ containerPort: 3005, protocol: 'tcp' }], dependsOn: [{ containerName: 'log-router', condition: 'START' }] });
    expect(c.healthCheck.command.slice(0, 3)).toEqual(['CMD', 'node', '-e']);
    // Only an insertion, in the file's own indentation and line endings.
    const at = text.indexOf('\t\t{\r\n\t\t\t"name": "purchase-worker"');
    expect(after.slice(0, at)).toBe(text.slice(0, at));
    expect(after.endsWith(text.slice(at))).toBe(true);
    const inserted = after.slice(at, after.length - (text.length - at));
    expect(inserted.startsWith('\t\t{\r\n\t\t\t"name": "billing-service"')).toBe(true);
    expect(inserted.split('\r\n').filter((line) => line !== '' && !/^\t+\S/.test(line))).toEqual([]);
    expect(inserted.split('\r\n').join('')).not.toMatch(/[\r\n]/);
    // No second task definition file next to it.
    expect(fs.readdirSync(path.join(root, 'infra'))).toEqual(['task-definition.json']);

    expect(await runNew('worker', { name: 'billing-worker', topic: 'payments', root })).toBeNull();
    const names = JSON.parse(fs.readFileSync(path.join(root, 'infra/task-definition.json'), 'utf8')).containerDefinitions.map((x: { name: string }) => x.name);
    expect(names).toEqual(['api-gateway', 'course-service', 'billing-service', 'purchase-worker', 'billing-worker', 'log-router']);
  });

  it("describe-task-definition output: the new file keeps the wrapper, drops what only ECS writes, and takes the sibling's sidecar along", async () => {
    const described = {
      taskDefinition: {
        taskDefinitionArn: 'arn:aws:ecs:eu-west-1:123456789012:task-definition/course-service:42',
        family: 'course-service',
        revision: 42,
        status: 'ACTIVE',
        containerDefinitions: [
          { name: 'course-service', image: 'acme/course-service@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef', essential: true, portMappings: [{ containerPort: 3003 }], dependsOn: [{ containerName: 'datadog-agent', condition: 'START' }] },
          { name: 'datadog-agent', image: 'public.ecr.aws/datadog/agent:7', essential: false, environment: [{ name: 'DD_SERVICE', value: 'course-service' }] },
        ],
        volumes: [{ name: 'data' }],
        compatibilities: ['EC2', 'FARGATE'],
        requiresAttributes: [{ name: 'com.amazonaws.ecs.capability.docker-remote-api.1.18' }],
        registeredAt: '2025-01-01T00:00:00.000Z',
      },
    };
    const root = demoWith({ 'deploy/course-service-task.json': `${JSON.stringify(described, null, 2)}\n` });
    expect(await runNew('service', { name: 'billing-service', root })).toBeNull();
    const def = JSON.parse(fs.readFileSync(path.join(root, 'deploy/billing-service-task.json'), 'utf8'));
    expect(ecsProblems(def)).toEqual([]);
    expect(Object.keys(def)).toEqual(['taskDefinition']);
    expect(Object.keys(def.taskDefinition)).toEqual(['family', 'containerDefinitions']);
    // A digest pins the sibling's image: the new one gets a tag instead.
    expect(def.taskDefinition.containerDefinitions.map((c: { name: string; image: string }) => [c.name, c.image])).toEqual([
      ['billing-service', 'acme/billing-service:latest'],
      ['datadog-agent', 'public.ecr.aws/datadog/agent:7'],
    ]);
    expect(def.taskDefinition.containerDefinitions[0].dependsOn).toEqual([{ containerName: 'datadog-agent', condition: 'START' }]);
    expect(def.taskDefinition.containerDefinitions[1].environment).toEqual([{ name: 'DD_SERVICE', value: 'billing-service' }]);
  });

  it('refuses, writing nothing, when the manifest or a container for the name already exists', async () => {
    const root = demoWith({ 'k8s/course-service.yaml': K8S_SERVICE, 'k8s/billing-service.yaml': '# reserved\n', 'deploy/ecs/course-service.json': ECS_SERVICE });
    const before = files(root);
    expect(await runNew('service', { name: 'billing-service', root })).toMatch(/^cannot create services\/billing-service: nothing was written, because:\n {2}k8s\/billing-service\.yaml already exists$/);
    // A container already named like the new worker, in a task of another family.
    const def = JSON.parse(ECS_SERVICE);
    def.containerDefinitions.push({ name: 'billing-worker', image: 'acme/legacy-billing:1', essential: false });
    const taken = JSON.stringify(def, null, 4);
    fs.writeFileSync(path.join(root, 'deploy/ecs/course-service.json'), taken);
    before.set('deploy/ecs/course-service.json', taken);
    expect(await runNew('worker', { name: 'billing-worker', topic: 'payments', root })).toMatch(/deploy\/ecs\/course-service\.json: a container definition for billing-worker already exists/);
    const after = files(root);
    expect([...after.keys()].filter((f) => before.get(f) !== after.get(f))).toEqual([]);
  });

  it('names YAML 1.1 or 1.2 would read as something else (no, y, on, null, true) stay strings: the same data as a plain name, under both', async () => {
    const MARK = 'zq-mark-name';
    const manifests = { 'k8s/course-service.yaml': K8S_SERVICE, 'deploy/ecs/course-service.json': ECS_SERVICE };
    const generate = async (name: string) => {
      const root = demoWith(manifests);
      expect(await runNew('service', { name, port: '4321', db: 'mongo', root })).toBeNull();
      return { yaml: fs.readFileSync(path.join(root, `k8s/${name}.yaml`), 'utf8'), json: fs.readFileSync(path.join(root, `deploy/ecs/${name}.json`), 'utf8') };
    };
    const swap = (value: unknown, name: string): unknown =>
      typeof value === 'string'
        ? value.split(MARK).join(name)
        : Array.isArray(value)
          ? value.map((v) => swap(v, name))
          : value && typeof value === 'object'
            ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, swap(v, name)]))
            : value;
    const data = (text: string, version: '1.1' | '1.2') => parseAllDocuments(text, { version }).map((d) => (d as { toJS(): unknown }).toJS());
    const base = await generate(MARK);
    for (const name of ['no', 'y', 'on', 'null', 'true']) {
      const got = await generate(name);
      for (const version of ['1.1', '1.2'] as const) expect(data(got.yaml, version), `${name}, YAML ${version}`).toEqual(swap(data(base.yaml, '1.2'), name));
      expect(JSON.parse(got.json), name).toEqual(swap(JSON.parse(base.json), name));
      k8sDocs(got.yaml);
    }
  });

  it('--dry-run lists the manifests it would create and writes nothing', async () => {
    const root = demoWith({ 'k8s/course-service.yaml': K8S_SERVICE, 'deploy/ecs/course-service.json': ECS_SERVICE });
    const before = files(root);
    const r = await cli(['new', 'service', '--name', 'billing-service', '--yes', '--dry-run', '--root', root]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^would create services\/billing-service\/ with /);
    expect(r.stdout).toContain('\n  deploy/ecs/billing-service.json\n  k8s/billing-service.yaml\nwould update\n');
    const after = files(root);
    expect([...after.keys()].filter((f) => before.get(f) !== after.get(f))).toEqual([]);
  });
});
