// Host figures for GET /health: CPU busy share since the previous sample, memory and disk use.
// Node's own os/fs calls only; the disk figure is for the volume holding the working directory.
import { statfs } from 'node:fs/promises';
import os from 'node:os';

export interface SystemStats {
  cpu_percent: number;
  cpu_count: number;
  load_average_1m: number;
  memory_percent: number;
  memory_used_mb: number;
  memory_total_mb: number;
  process_rss_mb: number;
  disk_percent: number | null;
}

interface CpuSample {
  idle: number;
  total: number;
}

function sampleCpu(): CpuSample {
  let idle = 0;
  let total = 0;
  for (const cpu of os.cpus()) {
    const t = cpu.times;
    idle += t.idle;
    total += t.user + t.nice + t.sys + t.idle + t.irq;
  }
  return { idle, total };
}

let previous: CpuSample = sampleCpu();

const round = (value: number) => Math.round(value * 10) / 10;

/** CPU busy percentage across all cores since the last call (or since start). */
function cpuPercent(): number {
  const now = sampleCpu();
  const total = now.total - previous.total;
  const idle = now.idle - previous.idle;
  if (total <= 0) return 0;
  previous = now;
  return round(Math.min(100, Math.max(0, (1 - idle / total) * 100)));
}

async function diskPercent(dir: string): Promise<number | null> {
  try {
    const s = await statfs(dir);
    const total = s.blocks * s.bsize;
    if (total <= 0) return null;
    // Like df: used against what non-root users can reach.
    const used = (s.blocks - s.bfree) * s.bsize;
    const available = s.bavail * s.bsize;
    return round((used / (used + available)) * 100);
  } catch {
    return null;
  }
}

export async function systemStats(dir = process.cwd()): Promise<SystemStats> {
  const total = os.totalmem();
  const used = total - os.freemem();
  return {
    cpu_percent: cpuPercent(),
    cpu_count: os.cpus().length,
    load_average_1m: round(os.loadavg()[0]),
    memory_percent: round((used / total) * 100),
    memory_used_mb: round(used / 1024 / 1024),
    memory_total_mb: round(total / 1024 / 1024),
    process_rss_mb: round(process.memoryUsage.rss() / 1024 / 1024),
    disk_percent: await diskPercent(dir),
  };
}
