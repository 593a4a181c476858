// Which messages a condensation removes: conversation turns grouped so that an assistant's tool
// calls stay with their results, system messages and the latest turn always kept, oldest dropped first.
import type { ChatMessage } from '../providers/canonical.js';
import type { TokenCounter } from './tokens.js';

interface Unit {
  messages: ChatMessage[];
  tokens: number;
  pinned: boolean;
}

export interface CondensePlan {
  /** Messages kept, in their original order. */
  kept: ChatMessage[];
  /** Messages removed, oldest first; never empty. */
  dropped: ChatMessage[];
  /** Estimated prompt tokens of the kept messages plus `extraTokens`. */
  tokens: number;
}

const isSystem = (m: ChatMessage) => m.role === 'system' || m.role === 'developer';
const callsTools = (m: ChatMessage) => m.role === 'assistant' && ((m.tool_calls?.length ?? 0) > 0 || 'function_call' in m);
const isResult = (m: ChatMessage) => m.role === 'tool' || m.role === 'function';

function group(messages: readonly ChatMessage[], counter: TokenCounter): Unit[] {
  const units: Unit[] = [];
  for (let i = 0; i < messages.length; i++) {
    const message = messages[i];
    const unit: Unit = { messages: [message], tokens: counter.message(message), pinned: isSystem(message) };
    if (callsTools(message)) {
      while (i + 1 < messages.length && isResult(messages[i + 1])) {
        i++;
        unit.messages.push(messages[i]);
        unit.tokens += counter.message(messages[i]);
      }
    }
    units.push(unit);
  }
  // The latest turn is what the client is asking about: never dropped.
  for (let j = units.length - 1; j >= 0; j--) {
    if (units[j].pinned) continue;
    units[j].pinned = true;
    break;
  }
  return units;
}

/**
 * Drops the oldest droppable turns until the estimate (kept messages + `extraTokens`, e.g. tools and
 * a summary that will replace them) fits `target`. Null when nothing can be dropped or it cannot fit.
 */
export function planDrop(messages: readonly ChatMessage[], counter: TokenCounter, target: number, extraTokens: number): CondensePlan | null {
  const units = group(messages, counter);
  let tokens = extraTokens + units.reduce((sum, u) => sum + u.tokens, 0);
  const droppedUnits = new Set<Unit>();
  for (const unit of units) {
    if (tokens <= target) break;
    if (unit.pinned) continue;
    droppedUnits.add(unit);
    tokens -= unit.tokens;
  }
  if (droppedUnits.size === 0 || tokens > target) return null;
  const kept: ChatMessage[] = [];
  const dropped: ChatMessage[] = [];
  for (const unit of units) (droppedUnits.has(unit) ? dropped : kept).push(...unit.messages);
  return { kept, dropped, tokens };
}

/** The removed messages as a plain transcript for the summariser. */
export function transcript(messages: readonly ChatMessage[]): string {
  return messages
    .map((m) => {
      const parts: string[] = [];
      if (typeof m.content === 'string') parts.push(m.content);
      else if (Array.isArray(m.content)) {
        for (const part of m.content) parts.push(part.type === 'text' && typeof part.text === 'string' ? part.text : `[${part.type}]`);
      }
      for (const call of m.tool_calls ?? []) parts.push(`[called ${call.function.name}(${call.function.arguments})]`);
      const who = m.role === 'tool' || m.role === 'function' ? `${m.role} result` : m.role;
      return `${who}${m.name ? ` (${m.name})` : ''}: ${parts.join(' ')}`;
    })
    .join('\n\n');
}

/** Puts `summary` where the removed turns were: after the leading system messages. */
export function withSummary(kept: readonly ChatMessage[], summary: string): ChatMessage[] {
  let at = 0;
  while (at < kept.length && isSystem(kept[at])) at++;
  const note: ChatMessage = { role: 'system', content: `Summary of the earlier part of this conversation:\n${summary}` };
  return [...kept.slice(0, at), note, ...kept.slice(at)];
}
