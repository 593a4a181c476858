// One upstream on 127.0.0.1:0 that echoes the last user text back in every API the proxy calls:
// OpenAI chat, completions, embeddings, images and Responses, and Anthropic Messages; plain or
// streamed, the echoed text split into `chunkChars`-character deltas (a value crosses chunk
// boundaries). Every request body is recorded, so a test can say what reached the upstream.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

type Json = Record<string, unknown>;

const textOf = (content: unknown): string =>
  typeof content === 'string' ? content : Array.isArray(content) ? content.map((p: Json) => (typeof p.text === 'string' ? p.text : '')).join('') : '';

function lastUser(items: unknown): string {
  if (!Array.isArray(items)) return '';
  const user = [...items].reverse().find((m: Json) => m.role === 'user');
  return user ? textOf((user as Json).content) : '';
}

export class EchoUpstream {
  readonly requests: Array<{ path: string; body: Json; raw: string }> = [];
  url = '';
  chunkChars = 3;
  /** When set, the answer says this instead of echoing. */
  reply: string | null = null;
  /** When set, the answer (chat, Responses, Messages) is a call of this tool with arguments `{"to": text}`, streamed in `chunkChars` pieces. */
  tool: string | null = null;
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

  /** Everything the upstream has received, as one string (to look for values that must not be there). */
  get received(): string {
    return this.requests.map((r) => r.raw).join('\n');
  }

  private async receive(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const body = JSON.parse(raw || '{}') as Json;
    const path = (req.url ?? '/').split('?')[0];
    this.requests.push({ path, body, raw });
    const stream = body.stream === true;
    if (this.tool) return this.toolCall(res, path, this.tool, this.reply ?? (path === '/v1/responses' ? (typeof body.input === 'string' ? body.input : lastUser(body.input)) : lastUser(body.messages)), stream, String(body.model));
    if (path === '/v1/chat/completions') return this.chat(res, this.reply ?? lastUser(body.messages), stream, String(body.model), body.logprobs === true);
    if (path === '/v1/completions') return this.completions(res, this.reply ?? (Array.isArray(body.prompt) ? String(body.prompt[0]) : String(body.prompt)), stream, String(body.model), typeof body.logprobs === 'number');
    if (path === '/v1/embeddings') return json(res, { object: 'list', model: body.model, data: [{ object: 'embedding', index: 0, embedding: [0.1, 0.2, 0.3] }], usage: { prompt_tokens: 3, total_tokens: 3 } });
    if (path === '/v1/images/generations') return json(res, { created: 1, data: [{ b64_json: 'aW1n' }] });
    if (path === '/v1/responses') return this.responses(res, this.reply ?? (typeof body.input === 'string' ? body.input : lastUser(body.input)), stream, String(body.model));
    if (path === '/v1/messages') return this.messages(res, this.reply ?? lastUser(body.messages), stream, String(body.model));
    res.writeHead(404).end();
  }

  private toolCall(res: ServerResponse, path: string, name: string, text: string, stream: boolean, model: string): void {
    const args = JSON.stringify({ to: text });
    toolCallAnswer(res, path, name, args, this.pieces(args), stream, model);
  }

  private pieces(text: string): string[] {
    const out: string[] = [];
    for (let i = 0; i < text.length; i += this.chunkChars) out.push(text.slice(i, i + this.chunkChars));
    return out;
  }

  /** Log probabilities when asked: they repeat the text, token by token. */
  private logprobs(text: string, wanted: boolean): Json | null {
    return wanted ? { content: this.pieces(text).map((token) => ({ token, logprob: -0.1, bytes: null, top_logprobs: [] })) } : null;
  }

  private chat(res: ServerResponse, text: string, stream: boolean, model: string, logprobs = false): void {
    const base = { id: 'chatcmpl-echo', created: 1, model };
    const usage = { prompt_tokens: 5, completion_tokens: 7, total_tokens: 12 };
    if (!stream) return json(res, { ...base, object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content: text }, logprobs: this.logprobs(text, logprobs), finish_reason: 'stop' }], usage });
    const chunk = (delta: Json, finish: string | null) => ({
      ...base,
      object: 'chat.completion.chunk',
      choices: [{ index: 0, delta, logprobs: typeof delta.content === 'string' ? this.logprobs(delta.content, logprobs) : null, finish_reason: finish }],
    });
    sse(res, [chunk({ role: 'assistant', content: '' }, null), ...this.pieces(text).map((p) => chunk({ content: p }, null)), chunk({}, 'stop'), { ...base, object: 'chat.completion.chunk', choices: [], usage }], true);
  }

  private completions(res: ServerResponse, text: string, stream: boolean, model: string, logprobs = false): void {
    const base = { id: 'cmpl-echo', object: 'text_completion', created: 1, model };
    const lp = (t: string) => (logprobs ? { tokens: this.pieces(t), token_logprobs: this.pieces(t).map(() => -0.1), top_logprobs: null, text_offset: [] } : null);
    if (!stream) return json(res, { ...base, choices: [{ index: 0, text, logprobs: lp(text), finish_reason: 'stop' }], usage: { prompt_tokens: 5, completion_tokens: 7, total_tokens: 12 } });
    const chunk = (piece: string, finish: string | null) => ({ ...base, choices: [{ index: 0, text: piece, logprobs: lp(piece), finish_reason: finish }] });
    sse(res, [...this.pieces(text).map((p) => chunk(p, null)), chunk('', 'stop')], true);
  }

  private responses(res: ServerResponse, text: string, stream: boolean, model: string): void {
    const item = { id: 'msg_echo', type: 'message', role: 'assistant', status: 'completed', content: [{ type: 'output_text', text, annotations: [] }] };
    const usage = { input_tokens: 5, output_tokens: 7, total_tokens: 12 };
    const response = { id: 'resp_echo', object: 'response', created_at: 1, model, status: 'completed', output: [item], usage };
    if (!stream) return json(res, response);
    let n = 0;
    const ev = (type: string, data: Json) => ({ event: type, data: { type, sequence_number: n++, ...data } });
    const shell = { ...response, status: 'in_progress', output: [], usage: null };
    const at = { item_id: 'msg_echo', output_index: 0, content_index: 0 };
    namedSse(res, [
      ev('response.created', { response: shell }),
      ev('response.in_progress', { response: shell }),
      ev('response.output_item.added', { output_index: 0, item: { ...item, status: 'in_progress', content: [] } }),
      ev('response.content_part.added', { ...at, part: { type: 'output_text', text: '', annotations: [] } }),
      ...this.pieces(text).map((delta) => ev('response.output_text.delta', { ...at, delta, logprobs: [] })),
      ev('response.output_text.done', { ...at, text, logprobs: [] }),
      ev('response.content_part.done', { ...at, part: item.content[0] }),
      ev('response.output_item.done', { output_index: 0, item }),
      ev('response.completed', { response }),
    ]);
  }

  private messages(res: ServerResponse, text: string, stream: boolean, model: string): void {
    const message = { id: 'msg_echo', type: 'message', role: 'assistant', model, content: [{ type: 'text', text }], stop_reason: 'end_turn', stop_sequence: null, usage: { input_tokens: 5, output_tokens: 7 } };
    if (!stream) return json(res, message);
    const ev = (type: string, data: Json) => ({ event: type, data: { type, ...data } });
    namedSse(res, [
      ev('message_start', { message: { ...message, content: [], stop_reason: null, usage: { input_tokens: 5, output_tokens: 1 } } }),
      ev('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }),
      ...this.pieces(text).map((piece) => ev('content_block_delta', { index: 0, delta: { type: 'text_delta', text: piece } })),
      ev('content_block_stop', { index: 0 }),
      ev('message_delta', { delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 7 } }),
      ev('message_stop', {}),
    ]);
  }
}

/** The same tool call in each API, plain or streamed with its arguments in pieces. */
function toolCallAnswer(res: ServerResponse, path: string, name: string, args: string, pieces: string[], stream: boolean, model: string): void {
  const input = JSON.parse(args) as Json;
  if (path === '/v1/chat/completions') {
    const base = { id: 'chatcmpl-tool', object: 'chat.completion.chunk', created: 1, model };
    const call = { id: 'call_echo', type: 'function', function: { name, arguments: args } };
    if (!stream) return json(res, { ...base, object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content: null, tool_calls: [call] }, logprobs: null, finish_reason: 'tool_calls' }] });
    const chunk = (delta: Json, finish: string | null) => ({ ...base, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }] });
    return sse(res, [
      chunk({ role: 'assistant', content: null, tool_calls: [{ index: 0, ...call, function: { name, arguments: '' } }] }, null),
      ...pieces.map((p) => chunk({ tool_calls: [{ index: 0, function: { arguments: p } }] }, null)),
      chunk({}, 'tool_calls'),
    ], true);
  }
  if (path === '/v1/responses') {
    const item = { id: 'fc_echo', type: 'function_call', status: 'completed', call_id: 'call_echo', name, arguments: args };
    const response = { id: 'resp_tool', object: 'response', created_at: 1, model, status: 'completed', output: [item], usage: { input_tokens: 5, output_tokens: 7, total_tokens: 12 } };
    if (!stream) return json(res, response);
    let n = 0;
    const ev = (type: string, data: Json) => ({ event: type, data: { type, sequence_number: n++, ...data } });
    const shell = { ...response, status: 'in_progress', output: [], usage: null };
    return namedSse(res, [
      ev('response.created', { response: shell }),
      ev('response.output_item.added', { output_index: 0, item: { ...item, status: 'in_progress', arguments: '' } }),
      ...pieces.map((delta) => ev('response.function_call_arguments.delta', { item_id: 'fc_echo', output_index: 0, delta })),
      ev('response.function_call_arguments.done', { item_id: 'fc_echo', output_index: 0, arguments: args }),
      ev('response.output_item.done', { output_index: 0, item }),
      ev('response.completed', { response }),
    ]);
  }
  const block = { type: 'tool_use', id: 'toolu_echo', name, input };
  const message = { id: 'msg_tool', type: 'message', role: 'assistant', model, content: [block], stop_reason: 'tool_use', stop_sequence: null, usage: { input_tokens: 5, output_tokens: 7 } };
  if (!stream) return json(res, message);
  const ev = (type: string, data: Json) => ({ event: type, data: { type, ...data } });
  namedSse(res, [
    ev('message_start', { message: { ...message, content: [], stop_reason: null } }),
    ev('content_block_start', { index: 0, content_block: { ...block, input: {} } }),
    ...pieces.map((partial_json) => ev('content_block_delta', { index: 0, delta: { type: 'input_json_delta', partial_json } })),
    ev('content_block_stop', { index: 0 }),
    ev('message_delta', { delta: { stop_reason: 'tool_use', stop_sequence: null }, usage: { output_tokens: 7 } }),
    ev('message_stop', {}),
  ]);
}

function json(res: ServerResponse, body: Json): void {
  res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

function sse(res: ServerResponse, chunks: Json[], done: boolean): void {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  for (const c of chunks) res.write(`data: ${JSON.stringify(c)}\n\n`);
  res.end(done ? 'data: [DONE]\n\n' : '');
}

function namedSse(res: ServerResponse, events: Array<{ event: string; data: Json }>): void {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  for (const e of events) res.write(`event: ${e.event}\ndata: ${JSON.stringify(e.data)}\n\n`);
  res.end();
}
