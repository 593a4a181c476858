// drop_params: OpenAI parameters a provider cannot take are left out of the native request with a
// debug line instead of being sent to cause a 400.
import type { Logger } from 'pino';

/** Logs, once per request, the parameters the transform did not map or pass through. */
export function logDropped(
  request: Record<string, unknown>,
  handled: ReadonlySet<string>,
  logger: Logger,
  provider: string,
): string[] {
  const dropped = Object.keys(request).filter((key) => !handled.has(key) && request[key] !== undefined && request[key] !== null);
  if (dropped.length > 0) logger.debug({ provider, dropped }, `${provider} cannot take ${dropped.join(', ')}; dropped`);
  return dropped;
}

/** The `stop` parameter as a list. */
export function stopList(stop: string | string[] | null | undefined): string[] | undefined {
  if (stop === null || stop === undefined) return undefined;
  const list = Array.isArray(stop) ? stop : [stop];
  return list.length > 0 ? list : undefined;
}

/** Parses tool-call arguments; a client's malformed JSON becomes an empty object rather than a crash. */
export function parseArguments(text: string | undefined): Record<string, unknown> {
  if (!text) return {};
  try {
    const value: unknown = JSON.parse(text);
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A message's content as plain text (text parts joined), for places that take only text. */
export function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .filter((part): part is { type: string; text: string } => isRecord(part) && part.type === 'text' && typeof part.text === 'string')
    .map((part) => part.text)
    .join('');
}
