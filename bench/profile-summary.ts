// Summarises a V8 .cpuprofile (node --cpu-prof): where the time went, by package or project file and by
// function, self time and (for project code) time including callees. `npm run bench -- --cpu-prof`
// profiles llm-proxy during the run and prints this; it also runs alone:
//   npx tsx bench/profile-summary.ts <file.cpuprofile> [top]
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Where a frame lives: an npm package, a project file (src/ or dist/), a Node.js module, or V8 itself. */
function place(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : `(${functionName || 'native'})`;
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1];
  const own = /\/(src|dist)\/(.+)$/.exec(url);
  if (own) return `${own[1]}/${own[2]}`;
  return url.replace(/^file:\/\//, '');
}

function frameName(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  if (!url) return place(url, functionName);
  return `${functionName || '(anonymous)'} ${place(url, functionName)}${url ? `:${lineNumber + 1}` : ''}`;
}

export interface ProfileSummary {
  totalMs: number;
  idlePercent: number;
  byPlace: Array<[string, number]>;
  bySelf: Array<[string, number]>;
  /** Project functions with their callees' time included. */
  projectInclusive: Array<[string, number]>;
}

export function summariseProfile(file: string, top = 25): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const selfTime = new Map<number, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    selfTime.set(id, (selfTime.get(id) ?? 0) + dt);
    total += dt;
  });
  const add = (map: Map<string, number>, key: string, t: number) => map.set(key, (map.get(key) ?? 0) + t);
  const byPlace = new Map<string, number>();
  const bySelf = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let idle = 0;
  for (const [id, t] of selfTime) {
    const node = byId.get(id)!;
    if (node.callFrame.functionName === '(idle)') idle += t;
    add(byPlace, place(node.callFrame.url, node.callFrame.functionName), t);
    add(bySelf, frameName(node), t);
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const frame = byId.get(cur)!;
      if (!/\/(src|dist)\//.test(frame.callFrame.url) || /node_modules/.test(frame.callFrame.url)) continue;
      const name = frameName(frame);
      if (seen.has(name)) continue;
      seen.add(name);
      add(inclusive, name, t);
    }
  }
  // Shares of the busy time: a whole-run profile is mostly idle while other targets are measured.
  const busy = Math.max(1, total - idle);
  const pct = (map: Map<string, number>) =>
    [...map]
      .filter(([k]) => k !== '(idle)')
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([k, v]): [string, number] => [k, (v / busy) * 100]);
  return {
    totalMs: total / 1000,
    idlePercent: (idle / total) * 100,
    byPlace: pct(byPlace),
    bySelf: pct(bySelf),
    projectInclusive: pct(inclusive),
  };
}

export function formatSummary(summary: ProfileSummary): string {
  const list = (rows: Array<[string, number]>) => rows.map(([k, v]) => `  ${v.toFixed(1).padStart(5)}%  ${k}`).join('\n');
  return [
    `profile: ${(summary.totalMs / 1000).toFixed(1)} s sampled, ${summary.idlePercent.toFixed(1)}% idle; shares below are of the busy time`,
    `self time by package / file:\n${list(summary.byPlace)}`,
    `self time by function:\n${list(summary.bySelf)}`,
    `project functions, callees included (callbacks make some of these nest):\n${list(summary.projectInclusive)}`,
  ].join('\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [file, top] = process.argv.slice(2);
  if (!file) {
    process.stderr.write('usage: tsx bench/profile-summary.ts <file.cpuprofile> [top]\n');
    process.exit(2);
  }
  process.stdout.write(`${formatSummary(summariseProfile(file, Number(top ?? 25)))}\n`);
}
