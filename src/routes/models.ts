// GET /v1/models (every enabled provider's models, merged) and GET /providers. A provider that names
// its models by glob (`models: ["*"]`, `text-embedding-*`) contributes what it reports serving (its
// model list, cached by the model catalog) that the globs match.
import type { FastifyInstance } from 'fastify';
import { ProxyError } from '../errors.js';
import type { ModelCatalog } from '../providers/model-catalog.js';
import { globToRegExp, type ProviderHandle } from '../routing/candidates.js';
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

/** The models a provider reports serving (cached by the catalog) that its globs match; none when it cannot say. */
async function reportedByGlob(handle: ProviderHandle, catalog: ModelCatalog): Promise<string[]> {
  const globs = handle.config.models.filter(isGlob).map(globToRegExp);
  if (globs.length === 0) return [];
  const list = await catalog.list(handle, null).catch(() => null);
  if (!list) return [];
  return list.data.filter((m) => m.source === 'provider' && globs.some((g) => g.test(m.id))).map((m) => m.id);
}

/**
 * Models of every enabled provider: the names it is configured with, then those it reports that its
 * globs match; a model served by several is listed once, by the first in priority order.
 */
export async function listModels(runtime: Runtime, resilience: Resilience, catalog: ModelCatalog): Promise<ModelEntry[]> {
  const created = Math.floor(runtime.startedAt / 1000);
  const seen = new Map<string, ModelEntry>();
  const handles = [...runtime.handles]
    .filter((h) => h.adapter)
    .sort((a, b) => Number(b.config.forced) - Number(a.config.forced) || a.config.priority - b.config.priority);
  const reported = await Promise.all(handles.map((handle) => reportedByGlob(handle, catalog)));
  handles.forEach((handle, i) => {
    for (const id of [...handle.config.models.filter((m) => !isGlob(m)), ...reported[i]]) {
      if (!seen.has(id)) seen.set(id, entry(id, handle, created, resilience));
    }
  });
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
  const catalog = app.observability.catalog;

  app.get('/v1/models', async () => ({ object: 'list', data: await listModels(runtime, resilience, catalog) }));

  app.get('/v1/models/*', async (request) => {
    const id = (request.params as { '*': string })['*'];
    const found = (await listModels(runtime, resilience, catalog)).find((m) => m.id === id);
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
