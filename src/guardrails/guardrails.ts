// Guardrails as the routes use them: which apply to a request (the configuration's defaults, then the
// team's and the key's), a session per request that has any, and every decision counted. A request
// with no guardrail pays one lookup.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../config/schema.js';
import type { JsonResult } from '../providers/types.js';
import { GuardSet } from './guards.js';
import { GuardrailBlocked, GuardSession, type DecisionSink } from './session.js';
import { dropLogprobs, type Slots } from './slots.js';
import type { WindowSettings } from './stream-window.js';

export const GUARDRAILS_HEADER = 'x-llm-proxy-guardrails';

export class Guardrails {
  private set: GuardSet | null = null;
  private builtFrom: Config['guardrails'] | null = null;

  constructor(
    private readonly config: () => Config,
    private readonly sink: DecisionSink,
  ) {}

  /** The guards of the configuration in force (rebuilt when a reload changed them). */
  get guards(): GuardSet {
    const config = this.config().guardrails;
    if (!this.set || this.builtFrom !== config) {
      this.set = new GuardSet(config);
      this.builtFrom = config;
    }
    return this.set;
  }

  get stream(): WindowSettings {
    return this.config().guardrails.stream;
  }

  /** The request's session, or null when no guardrail applies to it. */
  start(request: FastifyRequest): GuardSession | null {
    const principal = request.proxy.principal;
    const guards = this.guards.resolve(principal?.team?.guardrails, principal?.key.guardrails);
    if (guards.length === 0) return null;
    const session = new GuardSession(guards, request.id, request.proxy.model, this.sink);
    request.proxy.guard = session;
    return session;
  }
}

/** Runs the input guardrails over a request's text slots, writing masks back. Returns whether the body changed. */
export async function guardInput(guard: GuardSession, reply: FastifyReply, slots: () => Slots): Promise<boolean> {
  if (!guard.has('input')) return false;
  const s = slots();
  const texts = s.texts();
  try {
    const changed = await guard.run('input', texts);
    if (changed) s.write(texts);
    return changed;
  } catch (error) {
    if (error instanceof GuardrailBlocked) reply.request.proxy.errorCode = 'guardrail_blocked';
    throw error;
  } finally {
    reply.header(GUARDRAILS_HEADER, guard.header());
  }
}

/** Runs the output guardrails over a complete answer; a changed answer is sent re-serialised. */
export async function guardJson(guard: GuardSession | null, reply: FastifyReply, result: JsonResult, slotsOf: (data: Record<string, unknown>) => Slots): Promise<JsonResult> {
  if (!guard) return result;
  try {
    if (!guard.checksOutput) return result;
    const data = result.data;
    const s = slotsOf(data);
    const texts = s.texts();
    const dropped = guard.has('output') && dropLogprobs(data);
    if (!(await guard.run('output', texts)) && !dropped) return result;
    s.write(texts);
    return { data };
  } catch (error) {
    if (error instanceof GuardrailBlocked) reply.request.proxy.errorCode = 'guardrail_blocked';
    throw error;
  } finally {
    reply.header(GUARDRAILS_HEADER, guard.header());
  }
}

/** What a stream's block does to the request: its ledger row and log say so. */
export function streamBlocked(request: FastifyRequest): (error: GuardrailBlocked) => void {
  return (error) => {
    request.proxy.errorCode = 'guardrail_blocked';
    request.log.info({ request_id: request.id, guardrail: error.guardrail, phase: error.phase }, 'stream ended by a guardrail');
  };
}
