// Gemini function calls carry a `thoughtSignature` that must come back with the call in the next
// turn. OpenAI's format has no place for it, so it rides inside the tool call id, which every
// client echoes back verbatim.
import { toolCallId } from '../common/chunks.js';

const SEPARATOR = '__thought__';

export function encodeToolCallId(id: string | undefined, signature: string | undefined): string {
  const base = id || toolCallId();
  return signature ? `${base}${SEPARATOR}${signature}` : base;
}

export function decodeToolCallId(id: string): { id: string; signature?: string } {
  const at = id.indexOf(SEPARATOR);
  if (at === -1) return { id };
  return { id: id.slice(0, at), signature: id.slice(at + SEPARATOR.length) };
}
