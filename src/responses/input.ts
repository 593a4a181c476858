// What a Responses request's input means once the gateway's store is consulted: its own items (an
// `item_reference` replaced by the stored item) and, with `previous_response_id`, the conversation
// before it. A pass-through provider gets the request untouched when it can know everything the
// request refers to itself; otherwise (the gateway or another provider wrote it) it gets the
// conversation spelled out. A translated request must resolve everything.
import { ProxyError } from '../errors.js';
import type { ResponseItem, ResponsesRequest } from './schema.js';
import type { ResponseStore, StoredResponse } from './store.js';

export interface ResolvedInput {
  /** The request's own items; references the store knows are replaced by their items. */
  own: ResponseItem[];
  /** Earlier stored responses of the conversation (oldest first), when previous_response_id is stored. */
  history: StoredResponse[] | null;
  /** References the store does not know (by index into `own`). */
  unknownRefs: number[];
  /** Where each resolved reference came from, for the pass-through decision. */
  resolvedFrom: Array<{ origin: StoredResponse['origin']; provider: string }>;
}

export async function resolveInput(body: ResponsesRequest, store: ResponseStore): Promise<ResolvedInput> {
  const raw: ResponseItem[] = typeof body.input === 'string' ? [{ type: 'message', role: 'user', content: body.input }] : (body.input ?? []);
  const unknownRefs: number[] = [];
  const resolvedFrom: ResolvedInput['resolvedFrom'] = [];
  const own: ResponseItem[] = [];
  for (const [index, item] of raw.entries()) {
    const stored = item.type === 'item_reference' && typeof item.id === 'string' ? await store.item(item.id) : undefined;
    if (item.type === 'item_reference' && !stored) unknownRefs.push(index);
    if (stored) resolvedFrom.push({ origin: stored.origin, provider: stored.provider });
    own.push(stored ? stored.item : item);
  }
  let history: StoredResponse[] | null = null;
  if (body.previous_response_id && (await store.get(body.previous_response_id))) history = await store.history(body.previous_response_id);
  return { own, history, unknownRefs, resolvedFrom };
}

/** Every item of the conversation for a provider that must be told all of it (translation). */
export function fullConversation(body: ResponsesRequest, resolved: ResolvedInput): ResponseItem[] {
  if (body.previous_response_id && !resolved.history) {
    throw new ProxyError(
      'invalid_request',
      `Response '${body.previous_response_id}' is not in this gateway's response store (never stored, expired, or kept by another replica); send the conversation as input instead`,
      'previous_response_id',
    );
  }
  const [unknown] = resolved.unknownRefs;
  if (unknown !== undefined) {
    const id = String(resolved.own[unknown].id);
    throw new ProxyError('invalid_request', `Item '${id}' is not in this gateway's response store`, `input[${unknown}].id`);
  }
  const earlier = (resolved.history ?? []).flatMap((entry) => [...entry.input, ...(entry.response.output as ResponseItem[])]);
  return [...earlier, ...resolved.own];
}

/**
 * For a pass-through attempt on `provider`: null when the request can go as the client sent it (the
 * provider wrote whatever it refers to, or the store knows nothing of it), else the body with the
 * conversation spelled out and previous_response_id removed.
 */
export function passThroughBody(body: ResponsesRequest, resolved: ResolvedInput, provider: string): ResponsesRequest | null {
  const foreign = (from: { origin: string; provider: string }) => from.origin === 'gateway' || from.provider !== provider;
  const historyForeign = resolved.history?.some(foreign) ?? false;
  if (!historyForeign && !resolved.resolvedFrom.some(foreign)) return null;
  const earlier = historyForeign ? resolved.history!.flatMap((entry) => [...entry.input, ...(entry.response.output as ResponseItem[])]) : [];
  const out: ResponsesRequest = { ...body, input: [...earlier, ...resolved.own] };
  if (historyForeign) delete out.previous_response_id;
  return out;
}
