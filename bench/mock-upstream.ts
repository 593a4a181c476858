// The benchmark's upstream: an OpenAI-format server that does as little as possible per request, so
// the figures measure the proxy, not the mock. Answers are pre-built buffers; the request body is read
// (as a real server would) but only searched for `"stream": true`, never parsed.
// Also the upstream of `npm run mock-upstream` (config.mock.yaml): it answers every route the proxy
// proxies to an OpenAI-format provider (chat, completions, embeddings, images, models).
// Run: node --import tsx bench/mock-upstream.ts [port]   (or MOCK_UPSTREAM_PORT; 0 = any free port)
// → prints {"port": N} on stdout when ready.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';

const CREATED = 1_700_000_000;

const chatJson = Buffer.from(
  JSON.stringify({
    id: 'chatcmpl-bench',
    object: 'chat.completion',
    created: CREATED,
    model: 'bench-model',
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: 'Hello! This is a short answer from the benchmark mock upstream.' },
        logprobs: null,
        finish_reason: 'stop',
      },
    ],
    usage: { prompt_tokens: 12, completion_tokens: 14, total_tokens: 26 },
    system_fingerprint: 'fp_bench',
  }),
);

const chunk = (delta: Record<string, unknown>, finish: string | null, usage?: Record<string, number>) =>
  `data: ${JSON.stringify({
    id: 'chatcmpl-bench',
    object: 'chat.completion.chunk',
    created: CREATED,
    model: 'bench-model',
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
    ...(usage && { usage }),
  })}\n\n`;

/** A few chunks, each written separately, then [DONE]. */
const streamChunks = [
  chunk({ role: 'assistant', content: '' }, null),
  chunk({ content: 'Hello! ' }, null),
  chunk({ content: 'This is a streamed ' }, null),
  chunk({ content: 'answer.' }, null),
  chunk({}, 'stop', { prompt_tokens: 12, completion_tokens: 6, total_tokens: 18 }),
  'data: [DONE]\n\n',
].map((text) => Buffer.from(text));

// 1536 dimensions, like text-embedding-3-small: an 18 KB answer a proxy has to move (and parse).
const embedding = Array.from({ length: 1536 }, (_, i) => Math.round(Math.sin(i) * 1e8) / 1e8);
const embeddingsJson = Buffer.from(
  JSON.stringify({
    object: 'list',
    data: [{ object: 'embedding', index: 0, embedding }],
    model: 'bench-embedding',
    usage: { prompt_tokens: 8, total_tokens: 8 },
  }),
);

const modelsJson = Buffer.from(
  JSON.stringify({
    object: 'list',
    data: [
      { id: 'bench-model', object: 'model', created: CREATED, owned_by: 'bench' },
      { id: 'bench-embedding', object: 'model', created: CREATED, owned_by: 'bench' },
    ],
  }),
);

const completionJson = Buffer.from(
  JSON.stringify({
    id: 'cmpl-bench',
    object: 'text_completion',
    created: CREATED,
    model: 'bench-model',
    choices: [{ index: 0, text: 'Hello! This is a completion from the mock upstream.', logprobs: null, finish_reason: 'stop' }],
    usage: { prompt_tokens: 5, completion_tokens: 11, total_tokens: 16 },
  }),
);

const completionChunks = [
  ...['Hello! ', 'This is a streamed completion.'].map((text, i) =>
    `data: ${JSON.stringify({ id: 'cmpl-bench', object: 'text_completion', created: CREATED, model: 'bench-model', choices: [{ index: 0, text, logprobs: null, finish_reason: i === 1 ? 'stop' : null }] })}\n\n`,
  ),
  'data: [DONE]\n\n',
].map((text) => Buffer.from(text));

// A 1×1 transparent PNG, so b64_json answers are real images.
const PIXEL = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=';
const imageJson = (b64: boolean) =>
  Buffer.from(JSON.stringify({ created: CREATED, data: [b64 ? { b64_json: PIXEL, revised_prompt: 'a mock image' } : { url: 'https://example.com/mock-image.png', revised_prompt: 'a mock image' }] }));
const B64 = /"response_format"\s*:\s*"b64_json"/;

const notFound = Buffer.from(JSON.stringify({ error: { message: 'Not found', type: 'invalid_request_error', code: 'not_found' } }));

const STREAM = /"stream"\s*:\s*true/;

function sendJson(res: ServerResponse, status: number, body: Buffer): void {
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': body.length });
  res.end(body);
}

function answer(req: IncomingMessage, res: ServerResponse, body: string): void {
  const url = req.url ?? '/';
  if (req.method === 'POST' && url.endsWith('/chat/completions')) {
    if (STREAM.test(body)) {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      for (let i = 0; i < streamChunks.length - 1; i++) res.write(streamChunks[i]);
      res.end(streamChunks[streamChunks.length - 1]);
      return;
    }
    sendJson(res, 200, chatJson);
    return;
  }
  if (req.method === 'POST' && url.endsWith('/completions')) {
    if (STREAM.test(body)) {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      for (let i = 0; i < completionChunks.length - 1; i++) res.write(completionChunks[i]);
      res.end(completionChunks[completionChunks.length - 1]);
      return;
    }
    sendJson(res, 200, completionJson);
    return;
  }
  if (req.method === 'POST' && url.endsWith('/images/generations')) {
    sendJson(res, 200, imageJson(B64.test(body)));
    return;
  }
  if (req.method === 'POST' && url.endsWith('/embeddings')) {
    sendJson(res, 200, embeddingsJson);
    return;
  }
  if (req.method === 'GET' && url.endsWith('/models')) {
    sendJson(res, 200, modelsJson);
    return;
  }
  sendJson(res, 404, notFound);
}

export function createMockUpstream() {
  const server = createServer({ keepAliveTimeout: 120_000 }, (req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (part: string) => {
      body += part;
    });
    req.on('end', () => answer(req, res, body));
  });
  server.headersTimeout = 0;
  server.requestTimeout = 0;
  return server;
}

function main(): void {
  const port = Number(process.argv[2] ?? process.env.MOCK_UPSTREAM_PORT ?? 0);
  const server = createMockUpstream();
  server.listen(port, '127.0.0.1', () => {
    process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`);
  });
  const stop = () => server.close(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main();
