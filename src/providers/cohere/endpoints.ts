// Where and how to call Cohere: the v2 chat and embed endpoints, the v1 models list, bearer auth.
import type { AdapterDeps } from '../types.js';

export const COHERE_BASE_URL = 'https://api.cohere.com';

export const COHERE_PATHS = {
  chat: '/v2/chat',
  embed: '/v2/embed',
  models: (pageSize: number, pageToken?: string) => `/v1/models?page_size=${pageSize}${pageToken ? `&page_token=${encodeURIComponent(pageToken)}` : ''}`,
} as const;

export function cohereHeaders(deps: AdapterDeps): Record<string, string> {
  return deps.apiKey ? { authorization: `Bearer ${deps.apiKey}` } : {};
}
