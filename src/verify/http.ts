// One HTTP GET against the service on loopback, bounded by a timeout, never
// throwing: the answer (status, time, start of the body) or the network error.
import http from 'node:http';

export type Probe =
  | { ok: true; status: number; ms: number; body: string }
  | { ok: false; error: string; ms: number };

export function probe(port: number, route: string, timeoutMs = 2000): Promise<Probe> {
  const started = performance.now();
  const ms = () => performance.now() - started;
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: route, agent: false, timeout: timeoutMs, headers: { connection: 'close' } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        if (body.length < 200) body += chunk;
      });
      res.on('end', () => resolve({ ok: true, status: res.statusCode ?? 0, ms: ms(), body: body.slice(0, 200).trim() }));
      res.on('error', (err) => resolve({ ok: false, error: err.message, ms: ms() }));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (err: NodeJS.ErrnoException) => resolve({ ok: false, error: err.code === 'ECONNREFUSED' ? `ECONNREFUSED: nothing listens on 127.0.0.1:${port}` : err.message, ms: ms() }));
  });
}

/** "GET /health → 200 in 4 ms" / "GET /ready → ECONNREFUSED ...": one evidence line. */
export function describeProbe(route: string, p: Probe): string {
  return p.ok ? `GET ${route} → ${p.status} in ${Math.round(p.ms)} ms${p.body ? `: ${p.body.replace(/\s+/g, ' ').slice(0, 80)}` : ''}` : `GET ${route} → ${p.error}`;
}
