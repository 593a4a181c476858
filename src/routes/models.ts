// GET /v1/models (every enabled provider's models, merged) and GET /providers.
import type { FastifyInstance } from 'fastify';
import { ProxyError } from '../errors.js';
import type { ProviderHandle } from '../routing/candidates.js';
import { providerStatus } from '../routing/health-summary.js';
import type { Resilience } from '../routing/resilience.js';
import type { Router } from '../routing/router.js';
import type { Runtime } from '../runtime.js';

export interface ModelEntry {
  id: string;
  object: 'model';
  created: number;
  owned_by: string;
  provider: string;
  provider_type: string;
  status: string;
  enabled: boolean;
  forced: boolean;
}

const isGlob = (model: string) => /[*?]/.test(model);

/** Configured models of every enabled provider; a model served by several is listed once, by the first in priority order. */
export function listModels(runtime: Runtime, resilience: Resilience): ModelEntry[] {
  const created = Math.floor(runtime.startedAt / 1000);
  const seen = new Map<string, ModelEntry>();
  const handles = [...runtime.handles]
    .filter((h) => h.adapter)
    .sort((a, b) => Number(b.config.forced) - Number(a.config.forced) || a.config.priority - b.config.priority);
  for (const handle of handles) {
    for (const id of handle.config.models) {
      if (isGlob(id) || seen.has(id)) continue;
      seen.set(id, entry(id, handle, created, resilience));
    }
  }
  return [...seen.values()];
}

function entry(id: string, handle: ProviderHandle, created: number, resilience: Resilience): ModelEntry {
  return {
    id,
    object: 'model',
    created,
    owned_by: handle.config.name,
    provider: handle.config.name,
    provider_type: handle.config.type,
    status: providerStatus(resilience, handle),
    enabled: handle.adapter !== null,
    forced: handle.config.forced,
  };
}

export default async function modelRoutes(app: FastifyInstance, opts: { runtime: Runtime; resilience: Resilience; router: Router }): Promise<void> {
  const { runtime, resilience, router } = opts;

  app.get('/v1/models', async () => ({ object: 'list', data: listModels(runtime, resilience) }));

  app.get('/v1/models/*', async (request) => {
    const id = (request.params as { '*': string })['*'];
    const found = listModels(runtime, resilience).find((m) => m.id === id);
    if (found) return found;
    // A model matched only by a glob is still servable: describe it by the provider that would serve it.
    const candidates = (() => {
      try {
        return router.candidates(id, 'chat');
      } catch {
        return [];
      }
    })();
    if (candidates.length === 0) throw new ProxyError('model_not_found', `Model '${id}' is not supported by any available provider`, 'model');
    return entry(id, candidates[0].handle, Math.floor(runtime.startedAt / 1000), resilience);
  });

  app.get('/providers', async () => ({
    providers: runtime.handles.map((handle) => ({
      name: handle.config.name,
      type: handle.config.type,
      source: handle.source ?? 'config',
      enabled: handle.adapter !== null,
      disabled_reason: handle.disabledReason,
      priority: handle.config.priority,
      weight: handle.config.weight,
      forced: handle.config.forced,
      models: handle.config.models,
      status: providerStatus(resilience, handle),
      ...resilience.describe(handle.config.name),
    })),
  }));
}
