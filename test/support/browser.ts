// Headless Chromium for browser tests: Debian's /usr/bin/chromium driven by playwright-core (no browser
// download). The flags keep it off the network this machine does not have.
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Screenshots and other browser-test artefacts (git-ignored). */
export const ARTIFACTS_DIR = path.resolve('test-output');

export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium not found at ${CHROMIUM}: install it with 'apt-get install -y chromium' (.ci/run does)`);
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync'],
  });
}

/** Path for a named artefact under test-output/<group>/, the folder made on demand. */
export function artifactPath(group: string, name: string): string {
  const dir = path.join(ARTIFACTS_DIR, group);
  mkdirSync(dir, { recursive: true });
  return path.join(dir, name);
}
