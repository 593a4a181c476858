// Embeddings through /v2/embed: texts in, float vectors out. Cohere's v3+ models need an input_type;
// a client may give Cohere's own `input_type`, otherwise documents are assumed.
import type { EmbeddingRequest } from '../canonical.js';
import { embeddingList, embeddingTexts } from '../common/embeddings.js';
import { isRecord } from '../common/params.js';

export function toEmbedRequest(request: EmbeddingRequest, model: string): Record<string, unknown> {
  const r = request as Record<string, unknown>;
  return {
    model,
    texts: embeddingTexts(request),
    input_type: typeof r.input_type === 'string' ? r.input_type : 'search_document',
    embedding_types: ['float'],
    ...(request.dimensions && { output_dimension: request.dimensions }),
    ...(typeof r.truncate === 'string' && { truncate: r.truncate }),
  };
}

export function toEmbeddingList(response: Record<string, unknown>, request: EmbeddingRequest, model: string): Record<string, unknown> {
  const embeddings = isRecord(response.embeddings) ? response.embeddings : {};
  const vectors = Array.isArray(embeddings.float) ? (embeddings.float as number[][]) : [];
  const meta = isRecord(response.meta) ? response.meta : {};
  const billed = isRecord(meta.billed_units) ? meta.billed_units : {};
  return embeddingList(vectors, request, model, typeof billed.input_tokens === 'number' ? billed.input_tokens : 0);
}
