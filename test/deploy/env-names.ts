// The environment variables llm-proxy reads: named in its source (PROXY_API_*, REDIS_URL, …) or in a
// config file (api_key_env, ${VAR} placeholders). Deployment assets may set only these.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';

const ROOT = path.resolve(import.meta.dirname, '../..');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? sourceFiles(full) : entry.name.endsWith('.ts') ? [full] : [];
  });
}

/** Names the code reads: every string or identifier PROXY_API_*, REDIS_URL, DATABASE_URL or ENVIRONMENT in src/. */
export function codeEnvNames(): Set<string> {
  const names = new Set<string>();
  for (const file of sourceFiles(path.join(ROOT, 'src'))) {
    for (const match of readFileSync(file, 'utf8').matchAll(/\b(PROXY_API_[A-Z0-9_]+|REDIS_URL|DATABASE_URL|ENVIRONMENT)\b/g)) names.add(match[1]);
  }
  return names;
}

/** api_key_env values and ${VAR} placeholders of a config file. */
export function configEnvNames(file: string): Set<string> {
  const text = readFileSync(path.resolve(ROOT, file), 'utf8');
  const names = new Set<string>();
  const code = text.replace(/(^|\s)#.*$/gm, '');
  for (const match of code.matchAll(/\$\{([A-Z][A-Z0-9_]*)(?::-[^}]*)?\}/g)) names.add(match[1]);
  const doc = parse(text) as { providers?: Array<{ api_key_env?: string }> };
  for (const provider of doc.providers ?? []) if (provider.api_key_env) names.add(provider.api_key_env);
  return names;
}

export function repoPath(...parts: string[]): string {
  return path.join(ROOT, ...parts);
}
