// Model management (admin keys only): a provider's models (live list cached with a TTL, merged with
// the configured ones), one model, a forced refresh, and the provider's model selection — its
// default model (see config/model-selections.ts for what that means for routing).
import type { FastifyInstance } from 'fastify';
import { selectionInputSchema } from '../config/model-selections.js';
import { formatIssues } from '../config/schema.js';
import { ProxyError } from '../errors.js';
import type { ProviderHandle } from '../routing/candidates.js';
import { globToRegExp } from '../routing/candidates.js';
import type { Runtime } from '../runtime.js';

const ADMIN = { config: { auth: 'admin' as const } };

export default async function providerModelRoutes(app: FastifyInstance, opts: { runtime: Runtime }): Promise<void> {
  const { runtime } = opts;
  const { catalog, selections } = app.observability;

  const handleOf = (name: string): ProviderHandle => {
    const handle = runtime.provider(name);
    if (!handle) throw new ProxyError('not_found', `No provider named '${name}'`, 'name');
    return handle;
  };
  const selectedOf = (name: string) => selections.get(name)?.selected_model ?? null;

  app.get('/v1/providers/:name/models', ADMIN, async (request) => {
    const { name } = request.params as { name: string };
    return catalog.list(handleOf(name), selectedOf(name));
  });

  app.post('/v1/providers/:name/models/refresh', ADMIN, async (request) => {
    const { name } = request.params as { name: string };
    return catalog.list(handleOf(name), selectedOf(name), true);
  });

  // Model ids may contain slashes (openrouter's `openai/gpt-4o`).
  app.get('/v1/providers/:name/models/*', ADMIN, async (request) => {
    const { name, '*': id } = request.params as { name: string; '*': string };
    const list = await catalog.list(handleOf(name), selectedOf(name));
    const model = list.data.find((m) => m.id === id);
    if (!model) throw new ProxyError('model_not_found', `Model '${id}' is not offered by provider '${name}'`, 'model');
    return { ...model, provider: name, cached: list.cached, last_refresh: list.last_refresh };
  });

  app.get('/v1/providers/:name/model_selection', ADMIN, async (request) => {
    const { name } = request.params as { name: string };
    handleOf(name);
    const selection = selections.get(name);
    if (!selection) throw new ProxyError('not_found', `Provider '${name}' has no model selection`, 'name');
    return { provider: name, ...selection };
  });

  app.put('/v1/providers/:name/model_selection', ADMIN, async (request) => {
    const { name } = request.params as { name: string };
    const handle = handleOf(name);
    const parsed = selectionInputSchema.safeParse(request.body);
    if (!parsed.success) {
      const [first] = formatIssues(parsed.error.issues);
      throw new ProxyError('invalid_request', first, first.split(':', 1)[0]);
    }
    const current = selections.get(name);
    if (current && !current.editable) throw new ProxyError('invalid_request', `The model selection of '${name}' is not editable (editable: false); change it in ${selections.path}`, 'selected_model');
    const model = parsed.data.selected_model;
    if (!serves(handle, model)) {
      const live = await catalog.list(handle, null).catch(() => null);
      if (!live?.data.some((m) => m.id === model)) {
        throw new ProxyError('invalid_request', `Provider '${name}' does not serve model '${model}' (not configured and not in its model list)`, 'selected_model');
      }
    }
    const selection = await selections.set(name, parsed.data);
    request.log.info({ provider: name, selected_model: model }, 'model selection changed');
    return { provider: name, ...selection, file: selections.path };
  });
}

/** True when the provider's configured models (names or globs) cover `model`. */
function serves(handle: ProviderHandle, model: string): boolean {
  return handle.config.models.some((m) => m === '*' || m === model || (/[*?]/.test(m) && globToRegExp(m).test(model)));
}
