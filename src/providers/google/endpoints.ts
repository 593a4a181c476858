// Where and how to call the Gemini API: model-scoped method paths below the versioned base URL, and
// the key in x-goog-api-key (never in the query string, where it would end up in logs).
import type { AdapterDeps } from '../types.js';

export const GOOGLE_BASE_URL = 'https://generativelanguage.googleapis.com/v1beta';

/** `gemini-2.5-pro` -> `models/gemini-2.5-pro`; tuned models keep their own collection. */
export function modelResource(model: string): string {
  if (model.startsWith('models/') || model.startsWith('tunedModels/')) return model;
  return `models/${model}`;
}

export const GOOGLE_PATHS = {
  generate: (model: string) => `/${modelResource(model)}:generateContent`,
  stream: (model: string) => `/${modelResource(model)}:streamGenerateContent?alt=sse`,
  embed: (model: string) => `/${modelResource(model)}:batchEmbedContents`,
  models: (pageSize: number, pageToken?: string) => `/models?pageSize=${pageSize}${pageToken ? `&pageToken=${encodeURIComponent(pageToken)}` : ''}`,
};

export function googleHeaders(deps: AdapterDeps): Record<string, string> {
  return deps.apiKey ? { 'x-goog-api-key': deps.apiKey } : {};
}
