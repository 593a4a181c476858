// Webhook guardrails: the proxy POSTs {guardrail, phase, model, texts, request_id} to the service and
// reads {action: "allow" | "block" | "mask", reason?, texts?}. A service that answers late, refuses
// the connection, answers non-2xx or something unreadable has failed: the definition's on_error decides.
import { Agent, request } from 'undici';
import { z } from 'zod';

export interface WebhookCall {
  guardrail: string;
  phase: 'input' | 'output';
  model: string | null;
  texts: string[];
  request_id: string;
}

export type WebhookVerdict = { action: 'allow'; reason: string | null } | { action: 'block'; reason: string | null } | { action: 'mask'; reason: string | null; texts: string[] };

const answerSchema = z.object({
  action: z.enum(['allow', 'block', 'mask']),
  reason: z.string().nullish(),
  texts: z.array(z.string()).nullish(),
});

/** One keep-alive pool for all webhook guardrails. */
const agent = new Agent({ keepAliveTimeout: 30_000, connections: 64 });

export class WebhookClient {
  constructor(
    private readonly url: string,
    private readonly timeoutMs: number,
    private readonly headers: Record<string, string>,
  ) {}

  async check(call: WebhookCall): Promise<WebhookVerdict> {
    const signal = AbortSignal.timeout(this.timeoutMs);
    let response;
    try {
      response = await request(this.url, {
        method: 'POST',
        dispatcher: agent,
        headers: { ...this.headers, 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify(call),
        signal,
        headersTimeout: this.timeoutMs,
        bodyTimeout: this.timeoutMs,
      });
    } catch (error) {
      throw new Error(signal.aborted ? `no answer within ${this.timeoutMs} ms` : `request failed: ${(error as Error).message}`);
    }
    let text: string;
    try {
      text = await response.body.text();
    } catch (error) {
      throw new Error(signal.aborted ? `no answer within ${this.timeoutMs} ms` : `reading the answer failed: ${(error as Error).message}`);
    }
    if (response.statusCode < 200 || response.statusCode >= 300) throw new Error(`answered HTTP ${response.statusCode}`);
    let parsed;
    try {
      parsed = answerSchema.safeParse(JSON.parse(text));
    } catch {
      throw new Error('answered something that is not JSON');
    }
    if (!parsed.success) throw new Error(`answered without a valid action: ${parsed.error.issues[0]?.message ?? 'bad shape'}`);
    const { action, reason, texts } = parsed.data;
    if (action !== 'mask') return { action, reason: reason ?? null };
    if (!texts || texts.length !== call.texts.length) throw new Error(`answered mask with ${texts?.length ?? 0} texts for the ${call.texts.length} sent`);
    return { action, reason: reason ?? null, texts };
  }
}
