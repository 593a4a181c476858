// Where and how to call Azure OpenAI: a deployment per model in the URL path and the api-version in
// the query (`/openai/deployments/{deployment}/chat/completions?api-version=…`), or, with
// `api_version: v1`, the version-less `/openai/v1/…` API that takes the deployment as `model`.
import type { ProviderConfig } from '../../config/schema.js';
import type { AdapterDeps, Operation } from '../types.js';

/** The latest GA data-plane version when the config names none. */
export const AZURE_DEFAULT_API_VERSION = '2024-10-21';

const OPERATION_PATHS: Record<Exclude<Operation, 'messages'>, string> = {
  chat: 'chat/completions',
  completions: 'completions',
  embeddings: 'embeddings',
  images: 'images/generations',
};

export type AzureOperation = keyof typeof OPERATION_PATHS;

export class AzureEndpoints {
  readonly apiVersion: string;

  constructor(private readonly config: ProviderConfig) {
    this.apiVersion = config.api_version ?? AZURE_DEFAULT_API_VERSION;
  }

  /** The unified v1 API names deployments in the body instead of the path. */
  get unified(): boolean {
    return this.apiVersion === 'v1';
  }

  deployment(model: string): string {
    return this.config.deployments[model] ?? model;
  }

  path(operation: AzureOperation, model: string): string {
    if (this.unified) return `/openai/v1/${OPERATION_PATHS[operation]}`;
    const deployment = encodeURIComponent(this.deployment(model));
    return `/openai/deployments/${deployment}/${OPERATION_PATHS[operation]}?api-version=${encodeURIComponent(this.apiVersion)}`;
  }

  modelsPath(): string {
    return this.unified ? '/openai/v1/models' : `/openai/models?api-version=${encodeURIComponent(this.apiVersion)}`;
  }
}

export function azureHeaders(deps: AdapterDeps): Record<string, string> {
  return deps.apiKey ? { 'api-key': deps.apiKey } : {};
}
