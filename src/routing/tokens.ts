// Token estimates for chat requests with a real BPE tokenizer (js-tiktoken): o200k_base for OpenAI's
// current models, cl100k_base for everything else (an estimate for non-OpenAI models). Encodings
// are loaded on first use; counting follows OpenAI's per-message accounting.
import { Tiktoken, type TiktokenBPE } from 'js-tiktoken/lite';
import type { ChatMessage, ChatRequest } from '../providers/canonical.js';

export type EncodingName = 'o200k_base' | 'cl100k_base';

/** Tokens each message costs beyond its content (role and separators), and the reply's priming. */
const PER_MESSAGE = 3;
const PER_NAME = 1;
const REPLY_PRIMING = 3;
/** A fixed estimate for an image part (OpenAI's low-detail cost). */
const PER_IMAGE = 85;

const O200K = /^(?:[^/]+\/)?(?:gpt-4o|chatgpt-4o|gpt-4\.1|gpt-4\.5|gpt-5|o1|o3|o4)/;

export function encodingFor(model: string): EncodingName {
  return O200K.test(model) ? 'o200k_base' : 'cl100k_base';
}

const encoders = new Map<EncodingName, Promise<Tiktoken>>();

export function encoder(name: EncodingName): Promise<Tiktoken> {
  let found = encoders.get(name);
  if (!found) {
    const ranks: Promise<{ default: TiktokenBPE }> = name === 'o200k_base' ? import('js-tiktoken/ranks/o200k_base') : import('js-tiktoken/ranks/cl100k_base');
    found = ranks.then((module) => new Tiktoken(module.default));
    encoders.set(name, found);
  }
  return found;
}

/**
 * Loads both encodings in the background. Building one blocks the event loop for a moment (hundreds
 * of ms), better paid at start than by the first over-long request.
 */
export function warmEncoders(): void {
  const timer = setTimeout(() => {
    void encoder('cl100k_base').then(() => encoder('o200k_base'));
  }, 0);
  timer.unref();
}

/** Counts tokens of one model's requests; special-token text is counted as plain text, never rejected. */
export class TokenCounter {
  constructor(private readonly tiktoken: Tiktoken) {}

  static async forModel(model: string): Promise<TokenCounter> {
    return new TokenCounter(await encoder(encodingFor(model)));
  }

  text(text: string): number {
    return text ? this.tiktoken.encode(text, [], []).length : 0;
  }

  /** The last `tokens` tokens of `text`. */
  tail(text: string, tokens: number): string {
    const encoded = this.tiktoken.encode(text, [], []);
    return encoded.length <= tokens ? text : this.tiktoken.decode(encoded.slice(encoded.length - tokens));
  }

  message(message: ChatMessage): number {
    let tokens = PER_MESSAGE + this.text(message.role);
    const { content } = message;
    if (typeof content === 'string') tokens += this.text(content);
    else if (Array.isArray(content)) {
      for (const part of content) {
        if (part.type === 'text' && typeof part.text === 'string') tokens += this.text(part.text);
        else if (part.type === 'image_url' || part.type === 'input_image' || part.type === 'image') tokens += PER_IMAGE;
        else tokens += this.text(JSON.stringify(part));
      }
    }
    if (message.name) tokens += PER_NAME + this.text(message.name);
    for (const call of message.tool_calls ?? []) tokens += this.text(call.function.name) + this.text(call.function.arguments) + PER_MESSAGE;
    const legacyCall = (message as { function_call?: unknown }).function_call;
    if (legacyCall) tokens += this.text(JSON.stringify(legacyCall));
    return tokens;
  }

  /** The prompt's tokens: messages, tool definitions and the reply's priming. */
  request(body: Pick<ChatRequest, 'messages' | 'tools'>): number {
    let tokens = REPLY_PRIMING;
    for (const message of body.messages) tokens += this.message(message);
    if (body.tools?.length) tokens += this.text(JSON.stringify(body.tools));
    return tokens;
  }
}

/**
 * An upper bound on `TokenCounter.request` without tokenizing: a BPE token covers at least one byte,
 * so UTF-8 bytes plus per-message overhead can only over-count. Lets proactive mode skip the
 * tokenizer for the vast majority of requests, which are far below any context window.
 */
export function tokenUpperBound(body: Pick<ChatRequest, 'messages' | 'tools'>): number {
  let bound = REPLY_PRIMING;
  for (const message of body.messages) {
    bound += PER_MESSAGE + PER_NAME + message.role.length + Buffer.byteLength(JSON.stringify(message.content ?? ''));
    if (Array.isArray(message.content)) bound += PER_IMAGE * message.content.length;
    if (message.name) bound += Buffer.byteLength(message.name);
    if (message.tool_calls) bound += Buffer.byteLength(JSON.stringify(message.tool_calls)) + PER_MESSAGE * message.tool_calls.length;
    const legacyCall = (message as { function_call?: unknown }).function_call;
    if (legacyCall) bound += Buffer.byteLength(JSON.stringify(legacyCall));
  }
  if (body.tools?.length) bound += Buffer.byteLength(JSON.stringify(body.tools));
  return bound;
}
