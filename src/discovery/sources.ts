// The three kinds of discovery source. Each run answers the provider entries the source has now, or
// throws when it cannot be read (the manager then keeps that source's last good list).
import { readFile } from 'node:fs/promises';
import { Resolver } from 'node:dns/promises';
import { isIP } from 'node:net';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { DiscoverySource } from '../config/discovery-schema.js';
import { parseEntries, type Parsed } from './entries.js';

export interface SourceRun extends Parsed {
  /** The source answered that nothing changed (HTTP 304): keep the last list. */
  unchanged?: boolean;
}

export interface Source {
  readonly type: DiscoverySource['type'];
  /** What it reads: a path, a URL or a DNS name. */
  readonly target: string;
  run(): Promise<SourceRun>;
}

export function createSource(source: DiscoverySource, configDir: string, timeoutMs: number): Source {
  if (source.type === 'file') return new FileSource(path.resolve(configDir, source.path));
  if (source.type === 'http') return new HttpSource(source.url, source.headers, timeoutMs);
  return new DnsSource(source, timeoutMs);
}

class FileSource implements Source {
  readonly type = 'file';
  constructor(readonly target: string) {}

  async run(): Promise<SourceRun> {
    const text = await readFile(this.target, 'utf8');
    const doc: unknown = /\.ya?ml$/i.test(this.target) ? parseYaml(text) : JSON.parse(text);
    return parseEntries(doc, this.target);
  }
}

class HttpSource implements Source {
  readonly type = 'http';
  private etag: string | null = null;

  constructor(
    readonly target: string,
    private readonly headers: Record<string, string>,
    private readonly timeoutMs: number,
  ) {}

  async run(): Promise<SourceRun> {
    const res = await fetch(this.target, {
      headers: { accept: 'application/json', ...this.headers, ...(this.etag && { 'if-none-match': this.etag }) },
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    if (res.status === 304) return { entries: [], skipped: [], unchanged: true };
    if (!res.ok) throw new Error(`${this.target} answered HTTP ${res.status}`);
    const doc: unknown = await res.json();
    this.etag = res.headers.get('etag');
    return parseEntries(doc, this.target);
  }
}

class DnsSource implements Source {
  readonly type = 'dns';
  readonly target: string;
  private readonly resolver: Resolver;

  constructor(
    private readonly source: Extract<DiscoverySource, { type: 'dns' }>,
    timeoutMs: number,
  ) {
    this.target = `${source.record} ${source.name}`;
    this.resolver = new Resolver({ timeout: timeoutMs, tries: 2 });
    if (source.servers?.length) this.resolver.setServers(source.servers);
  }

  async run(): Promise<SourceRun> {
    const { record, name, port } = this.source;
    let endpoints: Array<{ address: string; port: number; weight: number }>;
    if (record === 'SRV') {
      const records = await this.resolver.resolveSrv(name);
      endpoints = (
        await Promise.all(
          records.map(async (r) => {
            const addresses = isIP(r.name) ? [r.name] : await this.resolver.resolve4(r.name).catch(() => this.resolver.resolve6(r.name));
            return addresses.map((address) => ({ address, port: r.port, weight: Math.max(1, r.weight) }));
          }),
        )
      ).flat();
    } else {
      const addresses = record === 'A' ? await this.resolver.resolve4(name) : await this.resolver.resolve6(name);
      endpoints = addresses.map((address) => ({ address, port, weight: 1 }));
    }
    const { scheme, path: basePath, template } = this.source;
    const entries = endpoints
      .sort((a, b) => a.address.localeCompare(b.address) || a.port - b.port)
      .map((e) => {
        const host = isIP(e.address) === 6 ? `[${e.address}]` : e.address;
        return { weight: e.weight, ...template, name: `${template.name}-${e.address.replace(/:/g, '-')}-${e.port}`, base_url: `${scheme}://${host}:${e.port}${basePath}` };
      });
    return parseEntries(entries, `dns ${name}`);
  }
}
