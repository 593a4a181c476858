// OpenAI's embeddings answer built from a provider's vectors, in float or base64 encoding (the
// `openai` SDK asks for base64 by default and decodes it itself).
import { ProxyError } from '../../errors.js';
import type { EmbeddingRequest } from '../canonical.js';

export function embeddingTexts(request: EmbeddingRequest): string[] {
  const { input } = request;
  if (typeof input === 'string') return [input];
  if (input.every((item): item is string => typeof item === 'string')) return input;
  throw new ProxyError('invalid_request', 'This provider embeds text only; token arrays are not supported', 'input');
}

/** Little-endian float32, as OpenAI encodes `encoding_format: base64`. */
export function floatsToBase64(values: readonly number[]): string {
  const floats = Float32Array.from(values);
  return Buffer.from(floats.buffer, floats.byteOffset, floats.byteLength).toString('base64');
}

export function embeddingList(
  vectors: readonly (readonly number[])[],
  request: EmbeddingRequest,
  model: string,
  promptTokens: number,
): Record<string, unknown> {
  const base64 = request.encoding_format === 'base64';
  return {
    object: 'list',
    data: vectors.map((vector, index) => ({ object: 'embedding', index, embedding: base64 ? floatsToBase64(vector) : vector })),
    model,
    usage: { prompt_tokens: promptTokens, total_tokens: promptTokens },
  };
}
