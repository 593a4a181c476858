// HTTP/2 against HTTP/1.1 keep-alive to a provider, same run, interleaved: two llm-proxy processes
// (providers[].http2 true and false) in front of one TLS mock that offers both, each driven by 32
// closed-loop clients (the most it serves) and at 500 req/s (latency). `npm run bench:http2 [-- --reps N --seconds S]`.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Pool } from 'undici';
import { firstJsonLine, freePort, spawnPinned, stop, waitForHttp, type Pinned } from './processes.js';
import { runAtRate, type RateResult } from './rate-client.js';
import { BODIES, CLIENT_KEY, PATHS, PROXY_CORE, ROOT, START, TSX, proxyConfig, proxyEnv } from './targets.js';

const { values: args } = parseArgs({ options: { reps: { type: 'string', default: '2' }, seconds: { type: 'string', default: '8' } } });
const reps = Number(args.reps);
const durationMs = Number(args.seconds) * 1000;
const dir = mkdtempSync(path.join(tmpdir(), 'llm-proxy-h2-bench-'));
execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem')], { stdio: 'ignore' });

const children: Pinned[] = [];
const mock = spawnPinned('tls-mock', 1 - PROXY_CORE, ['--import', TSX, path.join(ROOT, 'bench/tls-mock-upstream.ts'), path.join(dir, 'key.pem'), path.join(dir, 'cert.pem')]);
children.push(mock);

const mockPort = firstJsonLine<{ port: number }>(mock).then((line) => line.port);

async function proxy(http2: boolean): Promise<string> {
  const port = await freePort();
  const config = proxyConfig(`https://127.0.0.1:${await mockPort}`, port, { data_dir: path.join(dir, `data-${http2}`), http_client: { ca_file: path.join(dir, 'cert.pem') } });
  (config.providers as Array<Record<string, unknown>>)[0].http2 = http2;
  const file = path.join(dir, `h2-${http2}.json`);
  writeFileSync(file, JSON.stringify(config));
  const proc = spawnPinned(http2 ? 'http2' : 'http1.1', PROXY_CORE, [...START.flags, '--import', TSX, path.join(ROOT, 'src/main.ts'), '--config', file], proxyEnv(), 'ignore');
  children.push(proc);
  await waitForHttp(proc, `http://127.0.0.1:${port}/health/live`);
  return `http://127.0.0.1:${port}`;
}

const HEADERS = { authorization: `Bearer ${CLIENT_KEY}`, 'content-type': 'application/json' };
const run = (url: string, rate: number): Promise<RateResult> => runAtRate({ url, path: PATHS.chat, body: BODIES.chat, headers: HEADERS, rate, durationMs, connections: 64 });

/** Requests per second answered by `concurrency` clients each sending the next request once answered. */
async function closedLoop(url: string, concurrency: number): Promise<number> {
  const pool = new Pool(url, { connections: concurrency, pipelining: 1 });
  const end = performance.now() + durationMs;
  let done = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        const res = await pool.request({ method: 'POST', path: PATHS.chat, headers: HEADERS, body: BODIES.chat });
        await res.body.dump();
        if (res.statusCode === 200) done++;
      }
    }),
  );
  await pool.close();
  return done / (durationMs / 1000);
}

try {
  const urls = { 'HTTP/1.1': await proxy(false), 'HTTP/2': await proxy(true) };
  for (const url of Object.values(urls)) await run(url, 200); // warm-up: JIT, TLS sessions, pools
  const at500: Record<string, RateResult[]> = {};
  const max: Record<string, number[]> = {};
  for (let rep = 0; rep < reps; rep++) {
    for (const [name, url] of rep % 2 === 0 ? Object.entries(urls) : Object.entries(urls).reverse()) {
      (max[name] ??= []).push(await closedLoop(url, 32));
      (at500[name] ??= []).push(await run(url, 500));
    }
  }
  const median = (xs: number[]) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  console.log(`| to the upstream (TLS) | max req/s (32 clients) | p50 ms at 500/s | p99 ms at 500/s | errors |\n|---|---|---|---|---|`);
  for (const name of Object.keys(urls)) {
    const results = at500[name];
    console.log(
      `| ${name} | ${median(max[name]).toFixed(0)} | ${median(results.map((r) => r.total.p50)).toFixed(2)} | ${median(results.map((r) => r.total.p99)).toFixed(2)} | ${results.reduce((n, r) => n + r.errors + r.non2xx, 0)} |`,
    );
  }
} finally {
  for (const child of children.reverse()) await stop(child);
}
