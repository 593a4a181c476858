import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { MockUpstream } from '../support/mock-openai.js';
import { mockProvider, startProxy } from '../support/proxy.js';

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: Array<{ key: string; value: Record<string, unknown> }>;
  status?: { code?: number };
}

/** An OTLP/HTTP (JSON) trace receiver on loopback. */
class OtlpReceiver {
  readonly spans: OtlpSpan[] = [];
  readonly resources: Array<Record<string, unknown>> = [];
  paths: string[] = [];
  private server!: Server;
  url = '';

  static async start(): Promise<OtlpReceiver> {
    const receiver = new OtlpReceiver();
    receiver.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        receiver.paths.push(req.url ?? '');
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { resourceSpans: Array<{ resource: Record<string, unknown>; scopeSpans: Array<{ spans: OtlpSpan[] }> }> };
        for (const rs of body.resourceSpans) {
          receiver.resources.push(rs.resource);
          for (const ss of rs.scopeSpans) receiver.spans.push(...ss.spans);
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => receiver.server.listen(0, '127.0.0.1', resolve));
    receiver.url = `http://127.0.0.1:${(receiver.server.address() as AddressInfo).port}`;
    return receiver;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

const attr = (span: OtlpSpan, key: string) => {
  const value = span.attributes.find((a) => a.key === key)?.value;
  return value ? Object.values(value)[0] : undefined;
};

let upstream: MockUpstream;
let receiver: OtlpReceiver;

beforeAll(async () => {
  upstream = await MockUpstream.start('flaky');
  receiver = await OtlpReceiver.start();
});

afterAll(async () => {
  await upstream.close();
  await receiver.close();
});

const chat = (url: string, headers: Record<string, string> = {}) =>
  fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] }),
  });

describe('OpenTelemetry', () => {
  test('a span per request and per attempt reaches the OTLP receiver; traceparent is continued and propagated', async () => {
    const proxy = await startProxy({
      hot_reload: { enabled: false },
      telemetry: { enabled: true, service_name: 'proxy-under-test', otlp: { endpoint: receiver.url }, sampling: { probability: 1 } },
      providers: [mockProvider('flaky', upstream.url, { models: ['gpt-4o'], max_retries: 1 })],
    });
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const clientSpan = '00f067aa0ba902b7';
    upstream.enqueue({ status: 500, body: { error: { message: 'boom' } } });
    const res = await chat(proxy.url, { traceparent: `00-${traceId}-${clientSpan}-01` });
    expect(res.status).toBe(200);
    await proxy.close(); // flushes the exporter

    const upstreamParent = upstream.calls('/v1/chat/completions').map((c) => c.headers.traceparent as string);
    expect(upstreamParent).toHaveLength(2);
    for (const header of upstreamParent) {
      expect(header).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
      expect(header).not.toContain(clientSpan);
    }

    expect(receiver.paths.every((p) => p === '/v1/traces')).toBe(true);
    const server = receiver.spans.find((s) => s.name === 'POST /v1/chat/completions')!;
    expect(server).toBeDefined();
    expect(server.traceId).toBe(traceId);
    expect(server.parentSpanId).toBe(clientSpan);
    expect(upstreamParent[0]).toContain(server.spanId);
    expect(attr(server, 'http.response.status_code')).toBe(200);
    expect(attr(server, 'llm_proxy.provider')).toBe('flaky');
    expect(attr(server, 'gen_ai.usage.input_tokens')).toBe(9);

    const attempts = receiver.spans.filter((s) => s.name === 'attempt flaky');
    expect(attempts).toHaveLength(2);
    for (const span of attempts) {
      expect(span.traceId).toBe(traceId);
      expect(span.parentSpanId).toBe(server.spanId);
    }
    const [failed, retried] = attempts.sort((a, b) => Number(attr(a, 'llm_proxy.attempt')) - Number(attr(b, 'llm_proxy.attempt')));
    expect(failed.status?.code).toBe(2);
    expect(attr(failed, 'http.response.status_code')).toBe(500);
    expect(attr(retried, 'llm_proxy.retry')).toBe(true);
    expect(JSON.stringify(receiver.resources)).toContain('proxy-under-test');
  });

  test('off by default: nothing is traced and a client traceparent passes through unchanged', async () => {
    const proxy = await startProxy({ hot_reload: { enabled: false }, providers: [mockProvider('flaky', upstream.url, { models: ['gpt-4o'] })] });
    try {
      expect(proxy.app.observability.tracing).toBeNull();
      upstream.reset();
      const header = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
      expect((await chat(proxy.url, { traceparent: header })).status).toBe(200);
      expect(upstream.calls('/v1/chat/completions')[0].headers.traceparent).toBe(header);
    } finally {
      await proxy.close();
    }
  });
});
