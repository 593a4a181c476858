// Provider entries from a discovery source, checked with the same schema as the config file's: a
// list, `{providers: [...]}`, or a name → entry map (the shape of ProxyAPI's provider files). An
// invalid entry is skipped with its path and problems; the others are kept.
import { formatIssues, providerSchema, type ProviderConfig } from '../config/schema.js';

export interface Parsed {
  entries: ProviderConfig[];
  skipped: Array<{ path: string; problems: string[] }>;
}

const NEEDS_BASE_URL = new Set(['azure_openai', 'openai_compatible']);
/** Fields that would carry a key itself: refused, as in the config file keys come from the environment. */
const SECRET_FIELDS = ['api_key', 'apiKey', 'key', 'token', 'secret'];

export function parseEntries(doc: unknown, where: string): Parsed {
  let raw: Array<[string, unknown]>;
  if (Array.isArray(doc)) raw = doc.map((entry, i) => [`${where}[${i}]`, entry]);
  else if (doc && typeof doc === 'object' && Array.isArray((doc as { providers?: unknown }).providers)) {
    raw = ((doc as { providers: unknown[] }).providers).map((entry, i) => [`${where}.providers[${i}]`, entry]);
  } else if (doc && typeof doc === 'object') {
    raw = Object.entries(doc as Record<string, unknown>).map(([name, entry]) => [`${where}.${name}`, entry && typeof entry === 'object' && !Array.isArray(entry) ? { name, ...entry } : entry]);
  } else {
    return { entries: [], skipped: [{ path: where, problems: ['expected a list of provider entries, {providers: [...]}, or a map of name → entry'] }] };
  }
  const out: Parsed = { entries: [], skipped: [] };
  const seen = new Set<string>();
  for (const [path, entry] of raw) {
    const secrets = entry && typeof entry === 'object' ? SECRET_FIELDS.filter((f) => f in entry) : [];
    if (secrets.length > 0) {
      out.skipped.push({ path, problems: [`${secrets.join(', ')}: keys are given only by environment variable name (api_key_env), never as values`] });
      continue;
    }
    const result = providerSchema.safeParse(entry);
    if (!result.success) {
      out.skipped.push({ path, problems: formatIssues(result.error.issues) });
      continue;
    }
    const provider = result.data;
    if (!provider.base_url && NEEDS_BASE_URL.has(provider.type)) out.skipped.push({ path, problems: [`base_url: base_url is required for type '${provider.type}'`] });
    else if (seen.has(provider.name)) out.skipped.push({ path, problems: [`name: '${provider.name}' appears twice in this source`] });
    else {
      seen.add(provider.name);
      out.entries.push(provider);
    }
  }
  return out;
}
