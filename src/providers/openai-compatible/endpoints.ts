// Where and how to call each OpenAI-family provider: base URL, extra headers, what it serves.
// What to send is the same for all of them (adapter.ts).
import type { ProviderType } from '../../config/schema.js';
import type { Operation } from '../types.js';

export type OpenAiFamilyType = Extract<ProviderType, 'openai' | 'grok' | 'openrouter' | 'perplexity' | 'blackbox' | 'openai_compatible'>;

export interface FamilyEndpoint {
  baseUrl: string | null;
  operations: readonly Operation[];
  /** Whether GET /models exists; without it the configured models are the list. */
  listsModels: boolean;
  headers?: (appName: string) => Record<string, string>;
}

const ALL: readonly Operation[] = ['chat', 'completions', 'embeddings', 'images'];

export const OPENAI_FAMILY: Record<OpenAiFamilyType, FamilyEndpoint> = {
  openai: { baseUrl: 'https://api.openai.com/v1', operations: ALL, listsModels: true },
  grok: { baseUrl: 'https://api.x.ai/v1', operations: ['chat', 'completions', 'embeddings', 'images'], listsModels: true },
  openrouter: {
    baseUrl: 'https://openrouter.ai/api/v1',
    operations: ['chat', 'completions', 'embeddings'],
    listsModels: true,
    // OpenRouter attributes traffic by these optional headers.
    headers: (appName) => ({ 'x-title': appName }),
  },
  perplexity: { baseUrl: 'https://api.perplexity.ai', operations: ['chat'], listsModels: false },
  blackbox: { baseUrl: 'https://api.blackbox.ai', operations: ['chat'], listsModels: false },
  openai_compatible: { baseUrl: null, operations: ALL, listsModels: true },
};

export function isOpenAiFamily(type: ProviderType): type is OpenAiFamilyType {
  return type in OPENAI_FAMILY;
}
