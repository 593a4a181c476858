// The requests a virtual user sends, one function per scenario. Each resolves to one Sample: status,
// latency, time to first token for streams, and why it failed when it did. Never throws.
import type { Scenario } from '../config/load-testing-schema.js';
import { kindOf } from './plan.js';
import type { Sample } from './stats.js';

export interface Target {
  url: string;
  key: string | null;
  timeoutMs: number;
}

const WORDS = ['gateway', 'latency', 'provider', 'token', 'stream', 'budget', 'replica', 'cache', 'request', 'model', 'fallback', 'answer'];

/** Text of `length` characters made from the run's random source (the same seed, the same text). */
export function fillerText(length: number, random: () => number): string {
  let text = '';
  while (text.length < length) text += `${WORDS[Math.floor(random() * WORDS.length)]} `;
  return text.slice(0, length);
}

function headers(target: Target): Record<string, string> {
  return { 'content-type': 'application/json', ...(target.key && { authorization: `Bearer ${target.key}` }) };
}

export async function runScenario(name: string, settings: Scenario, target: Target, at: number, random: () => number): Promise<Sample> {
  const started = performance.now();
  const sample = (status: number, error: string | null, ttftMs: number | null = null): Sample => ({
    at,
    scenario: name,
    status,
    ok: error === null,
    latencyMs: Math.round((performance.now() - started) * 100) / 100,
    ttftMs,
    error,
  });
  try {
    const signal = AbortSignal.timeout(target.timeoutMs);
    const kind = kindOf(name, settings);
    if (kind === 'models') {
      const res = await fetch(`${target.url}/v1/models`, { headers: headers(target), signal });
      await res.arrayBuffer();
      return sample(res.status, res.ok ? null : `http_${res.status}`);
    }
    const prompt =
      kind === 'summarization'
        ? `Summarize the following text in three sentences:\n\n${fillerText(settings.input_length ?? 4000, random)}`
        : 'Load test: answer with a short greeting.';
    const body: Record<string, unknown> = { model: settings.model, messages: [{ role: 'user', content: prompt }] };
    if (settings.max_tokens !== undefined) body.max_tokens = settings.max_tokens;
    if (settings.temperature !== undefined) body.temperature = settings.temperature;
    if (settings.stream) Object.assign(body, { stream: true, stream_options: { include_usage: true } });
    const res = await fetch(`${target.url}/v1/chat/completions`, { method: 'POST', headers: headers(target), body: JSON.stringify(body), signal });
    if (!res.ok || !settings.stream || !res.body) {
      await res.arrayBuffer();
      return sample(res.status, res.ok ? null : `http_${res.status}`);
    }
    let ttft: number | null = null;
    let text = '';
    const decoder = new TextDecoder();
    for await (const chunk of res.body) {
      if (ttft === null) ttft = Math.round((performance.now() - started) * 100) / 100;
      text += decoder.decode(chunk as Uint8Array, { stream: true });
    }
    if (/^data: \{"error"/m.test(text)) return sample(res.status, 'stream_error', ttft);
    if (!text.includes('data: [DONE]')) return sample(res.status, 'stream_cut', ttft);
    return sample(res.status, null, ttft);
  } catch (error) {
    const e = error as Error & { cause?: { code?: string } };
    if (e.name === 'TimeoutError' || e.name === 'AbortError') return sample(0, 'timeout');
    return sample(0, e.cause?.code ?? e.name ?? 'network_error');
  }
}
