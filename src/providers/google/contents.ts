// OpenAI chat messages -> Gemini `systemInstruction` and `contents`: assistant turns become `model`
// turns, tool calls functionCall parts (signatures restored), tool results functionResponse parts,
// images inlineData or fileData; consecutive turns of one role are merged.
import type { ChatMessage } from '../canonical.js';
import { imageUrlOf, mediaTypeOfUrl, parseDataUrl } from '../common/media.js';
import { contentText, isRecord, parseArguments } from '../common/params.js';
import { decodeToolCallId } from './tool-ids.js';

export type GeminiPart = Record<string, unknown>;

export interface GeminiContent {
  role: 'user' | 'model';
  parts: GeminiPart[];
}

export interface GeminiConversation {
  systemInstruction?: { parts: GeminiPart[] };
  contents: GeminiContent[];
}

const AUDIO_TYPES: Record<string, string> = { wav: 'audio/wav', mp3: 'audio/mp3' };

export function toGeminiConversation(messages: readonly ChatMessage[]): GeminiConversation {
  const system: GeminiPart[] = [];
  const contents: GeminiContent[] = [];
  // functionResponse parts name the function; OpenAI tool messages only carry the call id.
  const callNames = new Map<string, string>();
  const push = (role: GeminiContent['role'], parts: GeminiPart[]) => {
    if (parts.length === 0) return;
    const last = contents[contents.length - 1];
    if (last && last.role === role) last.parts.push(...parts);
    else contents.push({ role, parts });
  };

  for (const message of messages) {
    switch (message.role) {
      case 'system':
      case 'developer': {
        const text = contentText(message.content);
        if (text) system.push({ text });
        break;
      }
      case 'user':
        push('user', userParts(message.content));
        break;
      case 'assistant': {
        const parts: GeminiPart[] = [];
        const text = contentText(message.content);
        if (text) parts.push({ text });
        for (const call of message.tool_calls ?? []) {
          callNames.set(call.id, call.function.name);
          const { signature } = decodeToolCallId(call.id);
          parts.push({
            functionCall: { name: call.function.name, args: parseArguments(call.function.arguments) },
            ...(signature && { thoughtSignature: signature }),
          });
        }
        push('model', parts);
        break;
      }
      case 'tool':
      case 'function': {
        const id = message.tool_call_id ?? '';
        const name = callNames.get(id) ?? message.name ?? 'function';
        push('user', [{ functionResponse: { name, response: responseObject(contentText(message.content)) } }]);
        break;
      }
    }
  }
  return { ...(system.length > 0 && { systemInstruction: { parts: system } }), contents };
}

/** functionResponse.response must be an object: JSON objects go as they are, anything else wrapped. */
function responseObject(text: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text);
    if (isRecord(value)) return value;
    return { content: value };
  } catch {
    return { content: text };
  }
}

function userParts(content: ChatMessage['content']): GeminiPart[] {
  if (typeof content === 'string') return content ? [{ text: content }] : [];
  if (!Array.isArray(content)) return [];
  const parts: GeminiPart[] = [];
  for (const part of content) {
    const converted = contentPart(part);
    if (converted) parts.push(converted);
  }
  return parts;
}

function contentPart(part: Record<string, unknown> & { type: string }): GeminiPart | null {
  switch (part.type) {
    case 'text':
      return typeof part.text === 'string' && part.text ? { text: part.text } : null;
    case 'image_url': {
      const url = imageUrlOf(part);
      if (!url) return null;
      const inline = parseDataUrl(url);
      if (inline) return { inlineData: { mimeType: inline.mediaType, data: inline.data } };
      return { fileData: { mimeType: mediaTypeOfUrl(url), fileUri: url } };
    }
    case 'file': {
      const file = isRecord(part.file) ? part.file : {};
      const inline = typeof file.file_data === 'string' ? parseDataUrl(file.file_data) : null;
      return inline ? { inlineData: { mimeType: inline.mediaType, data: inline.data } } : null;
    }
    case 'input_audio': {
      const audio = isRecord(part.input_audio) ? part.input_audio : {};
      if (typeof audio.data !== 'string') return null;
      const format = typeof audio.format === 'string' ? audio.format : 'wav';
      return { inlineData: { mimeType: AUDIO_TYPES[format] ?? `audio/${format}`, data: audio.data } };
    }
    default:
      return null;
  }
}
