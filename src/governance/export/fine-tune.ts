// Stored conversations as dataset lines: OpenAI's chat fine-tuning format (`{"messages": [...the
// request's messages, the assistant's answer], "tools": [...]}`, tool calls kept) or the raw ledger rows
// (jsonl). Rows that cannot make a line are skipped with a reason, which the summary counts.
import type { RequestLogsTable } from '../../db/tables.js';

export type ExportFormat = 'openai-chat' | 'jsonl';

export type Line = { line: string } | { skipped: string };

type Json = Record<string, unknown>;

const MESSAGE_FIELDS = ['role', 'content', 'name', 'tool_calls', 'tool_call_id', 'weight'];

function pick(message: Json): Json {
  const out: Json = {};
  for (const field of MESSAGE_FIELDS) if (message[field] !== undefined && message[field] !== null) out[field] = message[field];
  return out;
}

export function exportLine(row: RequestLogsTable, format: ExportFormat, includeFailed: boolean): Line {
  if (row.status >= 400 && !includeFailed) return { skipped: 'failed request' };
  if (format === 'jsonl') {
    const { cache_hit, stream, request_body, response_body, ...rest } = row;
    return { line: JSON.stringify({ ...rest, cost_usd: Number(rest.cost_usd), cache_hit: Boolean(cache_hit), stream: Boolean(stream), request: parse(request_body), response: parse(response_body) }) };
  }
  if (row.route !== '/v1/chat/completions') return { skipped: 'not a chat completion' };
  const request = parse(row.request_body) as Json | null;
  const response = parse(row.response_body) as Json | null;
  if (!request || !response) return { skipped: 'no stored bodies' };
  if (request.truncated || response.truncated) return { skipped: 'bodies truncated' };
  const messages = Array.isArray(request.messages) ? (request.messages as Json[]) : null;
  const choice = Array.isArray(response.choices) ? (response.choices as Json[])[0] : null;
  const answer = choice && typeof choice.message === 'object' ? (choice.message as Json) : null;
  if (!messages || !answer) return { skipped: 'no assistant answer' };
  const assistant: Json = { role: 'assistant' };
  if (typeof answer.content === 'string') assistant.content = answer.content;
  if (Array.isArray(answer.tool_calls) && answer.tool_calls.length > 0) {
    assistant.tool_calls = (answer.tool_calls as Json[]).map((call) => ({ id: call.id, type: call.type ?? 'function', function: call.function }));
  }
  if (assistant.content === undefined && assistant.tool_calls === undefined) return { skipped: 'no assistant answer' };
  const out: Json = { messages: [...messages.map(pick), assistant] };
  if (Array.isArray(request.tools) && request.tools.length > 0) out.tools = request.tools;
  if (typeof request.parallel_tool_calls === 'boolean') out.parallel_tool_calls = request.parallel_tool_calls;
  return { line: JSON.stringify(out) };
}

function parse(text: string | null): unknown {
  if (text === null) return null;
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
