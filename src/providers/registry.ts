// Maps a provider `type` to how it is built: its default base URL and its adapter factory.
import type { ProviderType } from '../config/schema.js';
import { createAnthropicAdapter } from './anthropic/adapter.js';
import { ANTHROPIC_BASE_URL } from './anthropic/endpoints.js';
import { createAzureAdapter } from './azure/adapter.js';
import { createCohereAdapter } from './cohere/adapter.js';
import { COHERE_BASE_URL } from './cohere/endpoints.js';
import { createGoogleAdapter } from './google/adapter.js';
import { GOOGLE_BASE_URL } from './google/endpoints.js';
import { createOpenAiCompatibleAdapter } from './openai-compatible/adapter.js';
import { OPENAI_FAMILY } from './openai-compatible/endpoints.js';
import type { AdapterFactory } from './types.js';

export interface ProviderKind {
  /** Used when the provider's config gives no base_url; null means base_url is required. */
  baseUrl: string | null;
  create: AdapterFactory;
}

const REGISTRY: Partial<Record<ProviderType, ProviderKind>> = {};

export function registerProviderKind(type: ProviderType, kind: ProviderKind): void {
  REGISTRY[type] = kind;
}

export function providerKind(type: ProviderType): ProviderKind | undefined {
  return REGISTRY[type];
}

for (const [type, endpoint] of Object.entries(OPENAI_FAMILY)) {
  registerProviderKind(type as ProviderType, { baseUrl: endpoint.baseUrl, create: createOpenAiCompatibleAdapter });
}
registerProviderKind('anthropic', { baseUrl: ANTHROPIC_BASE_URL, create: createAnthropicAdapter });
registerProviderKind('google', { baseUrl: GOOGLE_BASE_URL, create: createGoogleAdapter });
registerProviderKind('cohere', { baseUrl: COHERE_BASE_URL, create: createCohereAdapter });
registerProviderKind('azure_openai', { baseUrl: null, create: createAzureAdapter });
