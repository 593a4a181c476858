// Where and how to call Anthropic: the Messages API paths and its authentication and version headers.
import type { AdapterDeps } from '../types.js';

export const ANTHROPIC_BASE_URL = 'https://api.anthropic.com';

export const ANTHROPIC_PATHS = {
  messages: '/v1/messages',
  models: '/v1/models',
} as const;

export function anthropicHeaders(deps: AdapterDeps): Record<string, string> {
  const { config, apiKey } = deps;
  return {
    'anthropic-version': config.anthropic_version,
    ...(config.anthropic_beta && { 'anthropic-beta': config.anthropic_beta }),
    ...(apiKey && { 'x-api-key': apiKey }),
  };
}
