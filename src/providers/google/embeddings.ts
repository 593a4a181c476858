// Embeddings through batchEmbedContents: one request entry per input text, one vector back for each.
import type { EmbeddingRequest } from '../canonical.js';
import { embeddingList, embeddingTexts } from '../common/embeddings.js';
import { isRecord } from '../common/params.js';
import { modelResource } from './endpoints.js';

export function toBatchEmbedRequest(request: EmbeddingRequest, model: string): Record<string, unknown> {
  const r = request as Record<string, unknown>;
  const taskType = typeof r.task_type === 'string' ? r.task_type : typeof r.taskType === 'string' ? r.taskType : undefined;
  return {
    requests: embeddingTexts(request).map((text) => ({
      model: modelResource(model),
      content: { parts: [{ text }] },
      ...(request.dimensions && { outputDimensionality: request.dimensions }),
      ...(taskType && { taskType }),
    })),
  };
}

export function toEmbeddingList(response: Record<string, unknown>, request: EmbeddingRequest, model: string): Record<string, unknown> {
  const embeddings = Array.isArray(response.embeddings) ? response.embeddings.filter(isRecord) : [];
  const vectors = embeddings.map((e) => (Array.isArray(e.values) ? (e.values as number[]) : []));
  const usage = isRecord(response.usageMetadata) ? response.usageMetadata : {};
  const tokens = typeof usage.promptTokenCount === 'number' ? usage.promptTokenCount : 0;
  return embeddingList(vectors, request, model, tokens);
}
