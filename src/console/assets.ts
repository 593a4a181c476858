// The console's files: its own ES modules and styles (src/console/web, copied to dist/console/web by the
// build) and the vendored modules read straight from node_modules (Preact, its hooks, htm, uPlot): no
// bundler, no build output in the repository. Everything is served under assets/<hash>/, where the hash
// covers every file's bytes, so browsers may cache assets for a year and a new release is a new URL.
// index.html is rendered once at start with that path, an import map (which the CSP allows by its hash)
// and a modulepreload link per module.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
/** A file next to a package's main module (some of these packages export no package.json). */
const beside = (name: string, file: string) => join(dirname(require.resolve(name)), file);

/** The vendored files by the name they are served under (assets/<hash>/vendor/<name>). */
export function vendorFiles(): Map<string, string> {
  return new Map([
    ['preact.mjs', require.resolve('preact')],
    ['hooks.mjs', require.resolve('preact/hooks')],
    ['htm.mjs', beside('htm', 'htm.mjs')],
    ['uPlot.iife.min.js', beside('uplot', 'uPlot.iife.min.js')],
    ['uPlot.min.css', beside('uplot', 'uPlot.min.css')],
  ]);
}

/** The console's own files: next to this module (src/console/web under tsx, dist/console/web when built). */
export const webDir = fileURLToPath(new URL('./web/', import.meta.url));

function listFiles(dir: string, base = ''): string[] {
  return readdirSync(join(dir, base), { withFileTypes: true })
    .flatMap((entry) => (entry.isDirectory() ? listFiles(dir, join(base, entry.name)) : [join(base, entry.name)]))
    .sort();
}

export interface ConsoleAssets {
  /** assets/<hash>/, relative to /ui/. */
  base: string;
  hash: string;
  vendor: Map<string, string>;
  html: string;
  csp: string;
}

export function loadAssets(): ConsoleAssets {
  const vendor = vendorFiles();
  const own = listFiles(webDir).filter((f) => f !== 'index.html');
  const digest = createHash('sha256');
  for (const file of own) digest.update(file).update(readFileSync(join(webDir, file)));
  for (const [name, path] of vendor) digest.update(name).update(readFileSync(path));
  const hash = digest.digest('hex').slice(0, 12);
  const base = `assets/${hash}/`;

  const importMap = JSON.stringify({
    imports: { preact: `./${base}vendor/preact.mjs`, 'preact/hooks': `./${base}vendor/hooks.mjs`, htm: `./${base}vendor/htm.mjs` },
  });
  const scriptHash = createHash('sha256').update(importMap).digest('base64');
  const preload = ['vendor/preact.mjs', 'vendor/hooks.mjs', 'vendor/htm.mjs', ...own.filter((f) => f.endsWith('.js'))]
    .map((f) => `<link rel="modulepreload" href="${base}${f.split('\\').join('/')}">`)
    .join('\n    ');
  const html = readFileSync(join(webDir, 'index.html'), 'utf8')
    .replaceAll('{{base}}', base)
    .replace('{{importmap}}', `<script type="importmap">${importMap}</script>`)
    .replace('{{preload}}', preload);
  const csp = [
    "default-src 'none'",
    `script-src 'self' 'sha256-${scriptHash}'`,
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
  return { base, hash, vendor, html, csp };
}
