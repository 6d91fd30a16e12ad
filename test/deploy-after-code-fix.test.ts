// One `fix` fits ECS and Kubernetes manifests to the code as that same run
// leaves it: http-graceful-shutdown adds a force-exit timer (8 s), and the
// manifests' grace period / stopTimeout must cover it in the same diff, not
// in a second run (the "a second fix changes nothing" contract).
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { REPO } from './helpers/fixtures.js';
import { tmpWorkspace } from './helpers/tmp.js';

const BIN = path.join(REPO, 'bin', 'shipshape.js');
const run = (cmd: string, args: string[], cwd: string) =>
  new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(cmd, args, { cwd, encoding: 'utf8', maxBuffer: 16 << 20, env: { ...process.env, NO_COLOR: '1', CI: 'true' } }, (err, stdout, stderr) =>
      resolve({ code: err ? Number((err as { code?: unknown }).code ?? 1) : 0, stdout, stderr }),
    );
  });
const cli = (args: string[], cwd = REPO) => run(process.execPath, [BIN, ...args], cwd);
const git = (root: string, ...args: string[]) => run('git', ['-c', 'user.email=t@example.com', '-c', 'user.name=t', ...args], root);

const roots: string[] = [];
afterEach(() => roots.splice(0).forEach((r) => fs.rmSync(r, { recursive: true, force: true })));

const SERVER = `const express = require('express');
const app = express();
app.get('/health', (req, res) => res.send('ok'));
const port = process.env.PORT || 3000;
app.listen(port, () => console.log(\`listening on \${port}\`));
`;

const DEPLOYMENT = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  selector:
    matchLabels:
      app: api
  template:
    metadata:
      labels:
        app: api
    spec:
      terminationGracePeriodSeconds: 5
      containers:
        - name: api
          image: registry.example.com/api:1.0.0
          ports:
            - containerPort: 3000
          livenessProbe:
            httpGet:
              path: /health
              port: 3000
          readinessProbe:
            httpGet:
              path: /health
              port: 3000
          lifecycle:
            preStop:
              sleep:
                seconds: 5
`;

const TASK_DEFINITION = `{
  "family": "api",
  "containerDefinitions": [
    {
      "name": "api",
      "image": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/api:1.0.0",
      "essential": true,
      "portMappings": [{ "containerPort": 3000 }],
      "stopTimeout": 5,
      "healthCheck": {
        "command": ["CMD", "node", "-e", "require('http').get('http://127.0.0.1:'+(process.env.PORT||3000)+'/health',r=>process.exit(r.statusCode<400?0:1)).on('error',()=>process.exit(1))"],
        "interval": 30,
        "timeout": 5,
        "retries": 3,
        "startPeriod": 30
      }
    }
  ]
}
`;

async function repo(files: Record<string, string> = { 'services/api/index.js': SERVER, 'deploy/k8s/api.yaml': DEPLOYMENT, 'deploy/ecs/api.json': TASK_DEFINITION }): Promise<string> {
  const root = tmpWorkspace({
    'package.json': JSON.stringify({ name: 'rep', private: true, workspaces: ['services/*'] }),
    'services/api/package.json': JSON.stringify({ name: 'api', main: 'index.js', scripts: { start: 'node index.js' }, dependencies: { express: '^4.19.2', mongoose: '^8.0.0' } }),
    ...files,
  });
  roots.push(root);
  await git(root, 'init', '-q');
  await git(root, 'add', '-A');
  await git(root, 'commit', '-qm', 'init');
  return root;
}

describe('deployment manifests follow the code fix of the same run', () => {
  it('raises the grace period and stopTimeout for the shutdown timer the fix adds, in one run; a second fix changes nothing', async () => {
    const root = await repo();
    // Before the fix the code has no timer: nothing to fit the manifests to.
    const before = await cli(['scan', root, '--format', 'json']);
    expect(JSON.parse(before.stdout).findings.map((f: { rule: string }) => f.rule).filter((r: string) => r.startsWith('k8s-') || r.startsWith('ecs-'))).toEqual([]);

    const first = await cli(['fix', root]);
    expect(first.code, first.stderr).toBe(0);
    expect(fs.readFileSync(path.join(root, 'services/api/index.js'), 'utf8')).toContain('setTimeout(() => process.exit(1), 8000)');
    // 8 s timer + 5 s preStop delay + margin, and 8 s + 5 s for ECS.
    expect(fs.readFileSync(path.join(root, 'deploy/k8s/api.yaml'), 'utf8')).toMatch(/terminationGracePeriodSeconds: (\d+)/);
    const grace = Number(/terminationGracePeriodSeconds: (\d+)/.exec(fs.readFileSync(path.join(root, 'deploy/k8s/api.yaml'), 'utf8'))![1]);
    expect(grace).toBeGreaterThanOrEqual(13);
    const stop = (JSON.parse(fs.readFileSync(path.join(root, 'deploy/ecs/api.json'), 'utf8')) as { containerDefinitions: { stopTimeout: number }[] }).containerDefinitions[0]!.stopTimeout;
    expect(stop).toBe(13);

    await git(root, 'commit', '-qam', 'fixed');
    const second = await cli(['fix', root, '--dry-run', '--format', 'json']);
    expect(JSON.parse(second.stdout).changes).toEqual([]);
    const after = await cli(['scan', root, '--format', 'json']);
    expect(JSON.parse(after.stdout).findings.filter((f: { fix: string | null }) => f.fix !== null)).toEqual([]);
  }, 120_000);

  it('leaves the manifests to the next run when the code fix is not selected (--only): they follow the code as it is', async () => {
    const root = await repo();
    const only = await cli(['fix', root, '--dry-run', '--format', 'json', '--only', 'k8s-probes,ecs-healthcheck']);
    expect(JSON.parse(only.stdout).changes).toEqual([]);
  }, 60_000);

  it('points the new readinessProbe at the /ready route the same run adds to the code', async () => {
    const server = `const express = require('express');
const mongoose = require('mongoose');
const app = express();
app.get('/health', (req, res) => res.send('ok'));
const port = process.env.PORT || 3000;
async function main() {
  await mongoose.connect(process.env.MONGO_URL);
  app.listen(port, () => console.log(\`listening on \${port}\`));
}
main();
`;
    const bare = DEPLOYMENT.split('\n          livenessProbe:')[0] + '\n';
    const root = await repo({ 'services/api/index.js': server, 'deploy/k8s/api.yaml': bare });
    const first = await cli(['fix', root]);
    expect(first.code, first.stderr).toBe(0);
    expect(fs.readFileSync(path.join(root, 'services/api/index.js'), 'utf8')).toContain("'/ready'");
    const manifest = fs.readFileSync(path.join(root, 'deploy/k8s/api.yaml'), 'utf8');
    expect(manifest).toMatch(/readinessProbe:\n\s+httpGet:\n\s+path: \/ready\n/);
    expect(manifest).toMatch(/livenessProbe:\n\s+httpGet:\n\s+path: \/health\n/);
    await git(root, 'commit', '-qam', 'fixed');
    expect(JSON.parse((await cli(['fix', root, '--dry-run', '--format', 'json'])).stdout).changes).toEqual([]);
  }, 120_000);
});
