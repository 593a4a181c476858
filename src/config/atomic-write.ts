// Writes a file so readers see the old content or the new, never a torn one: write a temporary file
// in the same directory, flush it, then rename it over the target.
import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import path from 'node:path';

export async function writeFileAtomic(file: string, content: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const handle = await open(temp, 'w', 0o644);
  try {
    await handle.writeFile(content, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

/** Resolves a path from the configuration against the directory of the config file. */
export function resolveFromConfig(configFile: string | undefined, target: string): string {
  return path.resolve(configFile ? path.dirname(configFile) : process.cwd(), target);
}
