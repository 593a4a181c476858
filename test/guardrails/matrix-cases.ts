/* eslint-disable @typescript-eslint/no-explicit-any -- JSON answers are read back loosely */
// The guardrail coverage matrix's cases and how each API's answers read: the text a client got
// (plain or streamed), and whether a stream ended the way its API ends one.
type Json = Record<string, any>;

export type Endpoint = 'chat' | 'completions' | 'responses' | 'messages' | 'embeddings' | 'images';

export interface Case {
  endpoint: Endpoint;
  /** The model: gpt-* is served by the OpenAI-type provider, claude-* by the Anthropic one. */
  model: string;
  /** pass-through (the provider speaks the route's API) or translated. */
  path: 'pass-through' | 'translated';
  stream: boolean;
}

export function cases(): Case[] {
  const out: Case[] = [];
  const add = (endpoint: Endpoint, model: string, path: Case['path'], streams: boolean) => {
    out.push({ endpoint, model, path, stream: false });
    if (streams) out.push({ endpoint, model, path, stream: true });
  };
  add('chat', 'gpt-echo', 'pass-through', true);
  add('chat', 'claude-echo', 'translated', true);
  add('completions', 'gpt-echo', 'pass-through', true);
  add('responses', 'gpt-echo', 'pass-through', true);
  add('responses', 'claude-echo', 'translated', true);
  add('messages', 'claude-echo', 'pass-through', true);
  add('messages', 'gpt-echo', 'translated', true);
  add('embeddings', 'gpt-echo', 'pass-through', false);
  add('images', 'gpt-echo', 'pass-through', false);
  return out;
}

export const PATHS: Record<Endpoint, string> = {
  chat: '/v1/chat/completions',
  completions: '/v1/completions',
  responses: '/v1/responses',
  messages: '/v1/messages',
  embeddings: '/v1/embeddings',
  images: '/v1/images/generations',
};

export function requestBody(c: Case, text: string): Json {
  const stream = c.stream ? { stream: true } : {};
  switch (c.endpoint) {
    // Log probabilities asked for: they repeat the answer's text and must not carry what a guardrail took out.
    case 'chat':
      return { model: c.model, messages: [{ role: 'user', content: text }], logprobs: true, ...stream };
    case 'completions':
      return { model: c.model, prompt: text, logprobs: 1, ...stream };
    case 'responses':
      return { model: c.model, input: text, ...stream };
    case 'messages':
      return { model: c.model, max_tokens: 100, messages: [{ role: 'user', content: [{ type: 'text', text }] }], ...stream };
    case 'embeddings':
      return { model: c.model, input: [text] };
    case 'images':
      return { model: c.model, prompt: text };
  }
}

export function plainText(c: Case, body: Json): string {
  switch (c.endpoint) {
    case 'chat':
      return body.choices[0].message.content;
    case 'completions':
      return body.choices[0].text;
    case 'responses':
      return body.output.flatMap((i: Json) => i.content ?? []).map((p: Json) => p.text ?? '').join('');
    case 'messages':
      return body.content.map((b: Json) => b.text ?? '').join('');
    default:
      return '';
  }
}

export interface ReadStream {
  text: string;
  /** How it ended: 'stop' (a normal end) or 'filtered' (the API's own way of ending a filtered answer). */
  ending: 'stop' | 'filtered';
  /** Problems with the stream's shape (a second start event, a missing end, sequence gaps). */
  problems: string[];
}

export function readStream(c: Case, raw: string): ReadStream {
  const events = raw
    .split('\n\n')
    .filter((b) => b.trim())
    .map((block) => {
      const event = /^event: (.*)$/m.exec(block)?.[1] ?? null;
      const data = block
        .split('\n')
        .filter((l) => l.startsWith('data: '))
        .map((l) => l.slice(6))
        .join('\n');
      return { event, data };
    });
  const problems: string[] = [];
  let text = '';
  let ending: ReadStream['ending'] = 'stop';
  if (c.endpoint === 'chat' || c.endpoint === 'completions') {
    if (events.at(-1)?.data !== '[DONE]') problems.push('no [DONE]');
    const finishes: string[] = [];
    for (const e of events.slice(0, -1)) {
      const chunk = JSON.parse(e.data) as Json;
      if (chunk.error) problems.push(`error event: ${JSON.stringify(chunk.error)}`);
      for (const choice of chunk.choices ?? []) {
        text += (c.endpoint === 'chat' ? choice.delta?.content : choice.text) ?? '';
        if (choice.finish_reason) finishes.push(choice.finish_reason);
      }
    }
    if (finishes.length !== 1) problems.push(`finish reasons: ${finishes.join(',')}`);
    ending = finishes[0] === 'content_filter' ? 'filtered' : 'stop';
  } else if (c.endpoint === 'messages') {
    const types = events.map((e) => e.event);
    if (types.filter((t) => t === 'message_start').length !== 1) problems.push('message_start count');
    if (types.at(-1) !== 'message_stop') problems.push(`last event ${types.at(-1)}`);
    for (const e of events) {
      const data = JSON.parse(e.data) as Json;
      if (e.event === 'error') problems.push('error event');
      if (e.event === 'content_block_delta' && data.delta.type === 'text_delta') text += data.delta.text;
      if (e.event === 'message_delta' && data.delta.stop_reason === 'refusal') ending = 'filtered';
    }
  } else if (c.endpoint === 'responses') {
    const types = events.map((e) => e.event);
    if (types.filter((t) => t === 'response.created').length !== 1) problems.push('response.created count');
    const last = events.at(-1);
    const final = last ? (JSON.parse(last.data) as Json) : {};
    if (last?.event === 'response.incomplete' && final.response.incomplete_details?.reason === 'content_filter') ending = 'filtered';
    else if (last?.event !== 'response.completed') problems.push(`last event ${last?.event}`);
    let seq = -1;
    let doneText: string | null = null;
    for (const e of events) {
      const data = JSON.parse(e.data) as Json;
      if (data.sequence_number !== seq + 1) problems.push(`sequence ${data.sequence_number} after ${seq}`);
      seq = data.sequence_number;
      if (e.event === 'response.output_text.delta') text += data.delta;
      if (e.event === 'response.output_text.done') doneText = data.text;
    }
    if (doneText !== null && doneText !== text) problems.push(`output_text.done says ${JSON.stringify(doneText)}, deltas ${JSON.stringify(text)}`);
    if (last?.event === 'response.completed') {
      const completed = plainText({ ...c, stream: false }, final.response);
      if (completed !== text) problems.push(`response.completed says ${JSON.stringify(completed)}, deltas ${JSON.stringify(text)}`);
    }
  }
  return { text, ending, problems };
}
