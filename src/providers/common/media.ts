// Image and file references in OpenAI content parts: data: URLs carry bytes, http(s) URLs point at them.

export interface InlineData {
  mediaType: string;
  /** Base64 text, as found in the URL. */
  data: string;
}

const DATA_URL = /^data:([^;,]+)?((?:;[^;,=]+=[^;,]+)*)(;base64)?,(.*)$/s;

/** Splits a data: URL; non-base64 payloads are re-encoded so every caller gets base64. */
export function parseDataUrl(url: string): InlineData | null {
  const match = DATA_URL.exec(url);
  if (!match) return null;
  const mediaType = match[1] ?? 'text/plain';
  const payload = match[4] ?? '';
  const data = match[3] ? payload : Buffer.from(decodeURIComponent(payload), 'utf8').toString('base64');
  return { mediaType, data };
}

const EXTENSION_TYPES: Record<string, string> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  heic: 'image/heic',
  heif: 'image/heif',
  pdf: 'application/pdf',
};

/** Guesses a media type from a URL's file extension (for APIs that want one with a URL). */
export function mediaTypeOfUrl(url: string, fallback = 'image/jpeg'): string {
  let pathname = url;
  try {
    pathname = new URL(url).pathname;
  } catch {
    // not a URL: try the text as it is
  }
  const ext = /\.([a-z0-9]+)$/i.exec(pathname)?.[1]?.toLowerCase();
  return (ext && EXTENSION_TYPES[ext]) || fallback;
}

/** `image_url` parts hold either `{ url }` or, in older clients, the URL string itself. */
export function imageUrlOf(part: Record<string, unknown>): string | null {
  const value = part.image_url;
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object' && typeof (value as { url?: unknown }).url === 'string') return (value as { url: string }).url;
  return null;
}

export function toDataUrl(mediaType: string, base64: string): string {
  return `data:${mediaType};base64,${base64}`;
}
