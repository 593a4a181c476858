// Model lists served in pages (Gemini, Cohere): every page's `models` entries, mapped, until the
// provider stops giving a next-page token (bounded, so a misbehaving API cannot loop us forever).
import type { ModelInfo } from '../types.js';

const MAX_PAGES = 10;

export interface PagedModels {
  /** Fetches one page; `token` is undefined for the first. */
  page(token: string | undefined): Promise<Record<string, unknown>>;
  /** The next page's token field in a page (`next_page_token`, `nextPageToken`). */
  tokenField: string;
  /** Maps one entry (one with a string `name`) of a page's `models` array. */
  toModel(entry: Record<string, unknown> & { name: string }): ModelInfo;
}

export async function listPagedModels({ page, tokenField, toModel }: PagedModels): Promise<ModelInfo[]> {
  const models: ModelInfo[] = [];
  let token: string | undefined;
  for (let n = 0; n < MAX_PAGES; n++) {
    const data = await page(token);
    for (const entry of Array.isArray(data.models) ? (data.models as Record<string, unknown>[]) : []) {
      if (typeof entry?.name === 'string') models.push(toModel(entry as Record<string, unknown> & { name: string }));
    }
    const next = data[tokenField];
    if (typeof next !== 'string' || !next) break;
    token = next;
  }
  return models;
}
