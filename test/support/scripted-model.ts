// Two upstreams on 127.0.0.1:0 that behave like a tiny model, each in its provider's real wire format:
// OpenAI's Responses API (POST /v1/responses, JSON and typed SSE events, with its own store for
// previous_response_id and item_reference) and Anthropic's Messages API (POST /v1/messages, JSON and
// SSE). The model: with tools and no tool result yet, it calls the first tool with {"city":"Paris"};
// with a tool result, it answers "Weather: <result>"; otherwise "You said: <last user text>".
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

type Json = Record<string, unknown>;
type Turn = { role: string; text: string; toolResult?: string };
type Answer = { kind: 'text'; text: string } | { kind: 'tool'; name: string; args: string };

function answer(turns: Turn[], tools: string[]): Answer {
  const result = [...turns].reverse().find((t) => t.toolResult !== undefined);
  if (result) return { kind: 'text', text: `Weather: ${result.toolResult}` };
  if (tools.length > 0) return { kind: 'tool', name: tools[0], args: '{"city":"Paris"}' };
  const lastUser = [...turns].reverse().find((t) => t.role === 'user');
  return { kind: 'text', text: `You said: ${lastUser?.text ?? ''}` };
}

const textOf = (content: unknown): string =>
  typeof content === 'string' ? content : Array.isArray(content) ? content.map((p: Json) => String(p.text ?? p.content ?? '')).join('') : '';

export interface Recorded {
  path: string;
  body: Json;
}

abstract class Upstream {
  readonly requests: Recorded[] = [];
  url = '';
  /** Cut the next stream after this many events (then reset). */
  cutNextStreamAfter: number | null = null;
  private server!: Server;

  async listen(): Promise<this> {
    this.server = createServer((req, res) => void this.receive(req, res));
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private async receive(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Json;
    this.requests.push({ path: req.url ?? '/', body });
    this.handle(req.url ?? '/', body, res);
  }

  protected abstract handle(path: string, body: Json, res: ServerResponse): void;

  protected sse(res: ServerResponse, events: Array<[string, Json]>): void {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    const cut = this.cutNextStreamAfter;
    this.cutNextStreamAfter = null;
    const write = ([event, data]: [string, Json]) => res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    if (cut === null) {
      events.forEach(write);
      res.end();
      return;
    }
    // Cut mid-stream: the first events reach the proxy (one write each), then the socket dies.
    void (async () => {
      for (const event of events.slice(0, cut)) {
        write(event);
        await new Promise((resolve) => setTimeout(resolve, 15));
      }
      res.socket?.destroy();
    })();
  }
}

/** OpenAI's Responses API, as an `openai` provider serves it. */
export class ResponsesUpstream extends Upstream {
  private readonly items = new Map<string, Json>();
  private readonly responses = new Map<string, { input: Json[]; output: Json[]; previous: string | null }>();
  private seq = 0;

  static start(): Promise<ResponsesUpstream> {
    return new ResponsesUpstream().listen();
  }

  protected handle(path: string, body: Json, res: ServerResponse): void {
    if (path !== '/v1/responses') {
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: `no route ${path}`, type: 'invalid_request_error' } }));
      return;
    }
    const own = (typeof body.input === 'string' ? [{ role: 'user', content: body.input }] : ((body.input as Json[]) ?? [])).map((item) => {
      if (item.type !== 'item_reference') return item;
      const found = this.items.get(String(item.id));
      if (!found) throw new Error(`unknown item ${String(item.id)}`);
      return found;
    });
    const history: Json[] = [];
    for (let id = body.previous_response_id as string | null; id; ) {
      const r = this.responses.get(id);
      if (!r) {
        res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: `Previous response with id '${id}' not found.`, type: 'invalid_request_error', param: 'previous_response_id', code: 'previous_response_not_found' } }));
        return;
      }
      history.unshift(...r.input, ...r.output);
      id = r.previous;
    }
    const turns: Turn[] = [...history, ...own].map((item) =>
      item.type === 'function_call_output' ? { role: 'tool', text: '', toolResult: String(item.output) } : { role: String(item.role ?? item.type), text: textOf(item.content) },
    );
    const tools = ((body.tools as Json[]) ?? []).map((t) => String(t.name));
    const a = answer(turns, tools);
    const id = `resp_up${++this.seq}`;
    const item: Json =
      a.kind === 'text'
        ? { id: `msg_up${this.seq}`, type: 'message', status: 'completed', role: 'assistant', content: [{ type: 'output_text', text: a.text, annotations: [] }] }
        : { id: `fc_up${this.seq}`, type: 'function_call', status: 'completed', call_id: `call_up${this.seq}`, name: a.name, arguments: a.args };
    this.items.set(String(item.id), item);
    for (const i of own) if (typeof i.id === 'string') this.items.set(i.id, i);
    this.responses.set(id, { input: own, output: [item], previous: (body.previous_response_id as string) ?? null });
    const usage = { input_tokens: 11, input_tokens_details: { cached_tokens: 0 }, output_tokens: 7, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 18 };
    const response = { id, object: 'response', created_at: 1700000000, status: 'completed', model: body.model, output: [item], usage, error: null, incomplete_details: null, previous_response_id: body.previous_response_id ?? null };
    if (!body.stream) {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(response));
      return;
    }
    const events: Array<[string, Json]> = [];
    let n = 0;
    const ev = (type: string, data: Json) => events.push([type, { type, sequence_number: n++, ...data }]);
    ev('response.created', { response: { ...response, status: 'in_progress', output: [], usage: null } });
    if (a.kind === 'text') {
      ev('response.output_item.added', { output_index: 0, item: { ...item, status: 'in_progress', content: [] } });
      for (const word of a.text.split(/(?<= )/)) ev('response.output_text.delta', { item_id: item.id, output_index: 0, content_index: 0, delta: word, logprobs: [] });
      ev('response.output_text.done', { item_id: item.id, output_index: 0, content_index: 0, text: a.text, logprobs: [] });
    } else {
      ev('response.output_item.added', { output_index: 0, item: { ...item, status: 'in_progress', arguments: '' } });
      ev('response.function_call_arguments.delta', { item_id: item.id, output_index: 0, delta: a.args });
      ev('response.function_call_arguments.done', { item_id: item.id, output_index: 0, arguments: a.args });
    }
    ev('response.output_item.done', { output_index: 0, item });
    ev('response.completed', { response });
    this.sse(res, events);
  }
}

/** Anthropic's Messages API. */
export class AnthropicUpstream extends Upstream {
  private seq = 0;

  static start(): Promise<AnthropicUpstream> {
    return new AnthropicUpstream().listen();
  }

  protected handle(path: string, body: Json, res: ServerResponse): void {
    const turns: Turn[] = ((body.messages as Json[]) ?? []).map((m) => {
      const blocks = Array.isArray(m.content) ? (m.content as Json[]) : [];
      const result = blocks.find((b) => b.type === 'tool_result');
      return result ? { role: 'tool', text: '', toolResult: textOf(result.content) } : { role: String(m.role), text: textOf(m.content) };
    });
    const tools = ((body.tools as Json[]) ?? []).map((t) => String(t.name));
    const a = answer(turns, tools);
    const id = `msg_anth${++this.seq}`;
    const block = a.kind === 'text' ? { type: 'text', text: a.text } : { type: 'tool_use', id: `toolu_${this.seq}`, name: a.name, input: JSON.parse(a.args) as Json };
    const stop = a.kind === 'text' ? 'end_turn' : 'tool_use';
    if (!body.stream) {
      res.writeHead(200, { 'content-type': 'application/json' }).end(
        JSON.stringify({ id, type: 'message', role: 'assistant', model: body.model, content: [block], stop_reason: stop, stop_sequence: null, usage: { input_tokens: 13, output_tokens: 5 } }),
      );
      return;
    }
    const events: Array<[string, Json]> = [
      ['message_start', { type: 'message_start', message: { id, type: 'message', role: 'assistant', model: body.model, content: [], stop_reason: null, usage: { input_tokens: 13, output_tokens: 0 } } }],
    ];
    if (a.kind === 'text') {
      events.push(['content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }]);
      for (const word of a.text.split(/(?<= )/)) events.push(['content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: word } }]);
    } else {
      events.push(['content_block_start', { type: 'content_block_start', index: 0, content_block: { ...block, input: {} } }]);
      events.push(['content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'input_json_delta', partial_json: a.args } }]);
    }
    events.push(['content_block_stop', { type: 'content_block_stop', index: 0 }]);
    events.push(['message_delta', { type: 'message_delta', delta: { stop_reason: stop, stop_sequence: null }, usage: { output_tokens: 5 } }]);
    events.push(['message_stop', { type: 'message_stop' }]);
    this.sse(res, events);
  }
}
