// Real Redis on 127.0.0.1:6379 for tests: a key prefix unique to the test run, and cleanup of every key under it.
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';

export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export function uniquePrefix(): string {
  return `test:${randomUUID()}:`;
}

/** Deletes every key under `prefix`; returns how many there were. */
export async function deletePrefix(prefix: string): Promise<number> {
  const client = new Redis(REDIS_URL, { lazyConnect: true });
  await client.connect();
  let deleted = 0;
  try {
    for await (const keys of client.scanStream({ match: `${prefix}*`, count: 500 }) as AsyncIterable<string[]>) {
      if (keys.length > 0) deleted += await client.del(...keys);
    }
  } finally {
    client.disconnect();
  }
  return deleted;
}

export async function keysUnder(prefix: string): Promise<string[]> {
  const client = new Redis(REDIS_URL, { lazyConnect: true });
  await client.connect();
  try {
    return await client.keys(`${prefix}*`);
  } finally {
    client.disconnect();
  }
}
