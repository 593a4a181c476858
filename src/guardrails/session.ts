// One request's guardrails: runs the checks of a phase over a list of texts (masking them in place),
// keeps every decision (for the ledger row, the response header and metrics) and the request's
// placeholders, so the answer gets back what the request's masking took out.
import { ProxyError } from '../errors.js';
import type { Finding } from './detect/index.js';
import type { Guard, Phase } from './guards.js';
import { Placeholders } from './placeholders.js';

export type Decision = 'pass' | 'block' | 'mask' | 'monitor' | 'error';

export interface Outcome {
  name: string;
  phase: Phase;
  decision: Decision;
  /** Milliseconds spent, summed over every check of this phase (a stream checks many windows). */
  ms: number;
  /** Findings (built-in checks). */
  hits: number;
  /** Entity labels found, without the values. */
  entities: string[];
  /** Why it blocked, masked or failed (webhook reason, error message). */
  reason: string | null;
}

const RANK: Record<Decision, number> = { pass: 0, monitor: 1, error: 2, mask: 3, block: 4 };

export type DecisionSink = (name: string, phase: Phase, decision: Decision, ms: number) => void;

export class GuardrailBlocked extends ProxyError {
  constructor(
    readonly guardrail: string,
    readonly phase: Phase,
    message: string,
  ) {
    super('guardrail_blocked', message, null, { guardrail, phase });
  }
}

export class GuardSession {
  readonly placeholders = new Placeholders();
  private readonly outcomes = new Map<string, Outcome>();

  constructor(
    readonly guards: readonly Guard[],
    private readonly requestId: string,
    private readonly model: string | null,
    private readonly sink: DecisionSink,
  ) {}

  has(phase: Phase): boolean {
    return this.guards.some((g) => g.phases.has(phase));
  }

  /** Whether the answer needs a pass: output checks, or placeholders from the request to put back. */
  get checksOutput(): boolean {
    return this.placeholders.restorable || this.has('output');
  }

  /**
   * Runs every guard of `phase` over `texts`, in place: masks replace values, and on the output phase
   * the request's placeholders are put back. `context[i]` characters at the start of `texts[i]` were
   * already sent (a stream's left context): they are scanned for word boundaries but never changed.
   * Throws GuardrailBlocked. Returns whether any text changed.
   */
  async run(phase: Phase, texts: string[], context?: readonly number[]): Promise<boolean> {
    let changed = false;
    for (const guard of this.guards) {
      if (!guard.phases.has(phase)) continue;
      const started = performance.now();
      let decision: Decision = 'pass';
      let hits = 0;
      const entities = new Set<string>();
      let reason: string | null = null;
      try {
        if (guard.detector) {
          for (let i = 0; i < texts.length; i++) {
            const skip = context?.[i] ?? 0;
            const found = guard.detector.scan(texts[i]).filter((f) => f.start >= skip);
            if (found.length === 0) continue;
            hits += found.length;
            for (const f of found) entities.add(f.entity);
            if (guard.action === 'mask') {
              texts[i] = this.placeholders.mask(texts[i], found, phase === 'input');
              changed = true;
            }
          }
          if (hits > 0) decision = guard.action;
          if (hits > 0) reason = `found ${[...entities].join(', ')}`;
        } else if (guard.webhook && texts.length > 0) {
          const sent = texts.map((t, i) => t.slice(context?.[i] ?? 0));
          const verdict = await guard.webhook.check({ guardrail: guard.name, phase, model: this.model, texts: sent, request_id: this.requestId });
          reason = verdict.reason;
          if (verdict.action !== 'allow') decision = guard.action === 'monitor' ? 'monitor' : verdict.action;
          if (verdict.action === 'mask' && decision === 'mask') {
            verdict.texts.forEach((text, i) => {
              if (text === sent[i]) return;
              texts[i] = texts[i].slice(0, context?.[i] ?? 0) + text;
              changed = true;
            });
          }
        }
      } catch (error) {
        decision = 'error';
        reason = (error as Error).message;
      }
      this.note(guard.name, phase, decision, performance.now() - started, hits, entities, reason);
      if (decision === 'block' || (decision === 'error' && guard.onError === 'block')) throw this.blocked(guard.name, phase, decision, reason);
    }
    if (phase === 'output' && this.placeholders.restorable) {
      for (let i = 0; i < texts.length; i++) {
        const skip = context?.[i] ?? 0;
        const tail = texts[i].slice(skip);
        const restored = this.placeholders.restore(tail);
        if (restored !== tail) {
          texts[i] = texts[i].slice(0, skip) + restored;
          changed = true;
        }
      }
    }
    return changed;
  }

  /** Scans only (no decision recorded): the findings of every in-process output guard, for a stream's release point. */
  findings(text: string): Finding[] {
    const out: Finding[] = [];
    for (const guard of this.guards) if (guard.detector && guard.phases.has('output')) out.push(...guard.detector.scan(text));
    return out;
  }

  /** Every guardrail's outcome so far, one per guardrail and phase. */
  get list(): Outcome[] {
    return [...this.outcomes.values()];
  }

  /** `pii=mask;0.2ms, policy:output=pass;41ms`: every guardrail run so far. */
  header(): string {
    return this.list.map((o) => `${o.name}${o.phase === 'output' ? ':output' : ''}=${o.decision};${formatMs(o.ms)}ms`).join(', ');
  }

  private note(name: string, phase: Phase, decision: Decision, ms: number, hits: number, entities: Set<string>, reason: string | null): void {
    this.sink(name, phase, decision, ms);
    const key = `${name}\u0000${phase}`;
    const seen = this.outcomes.get(key);
    if (!seen) {
      this.outcomes.set(key, { name, phase, decision, ms, hits, entities: [...entities], reason });
      return;
    }
    seen.ms += ms;
    seen.hits += hits;
    for (const e of entities) if (!seen.entities.includes(e)) seen.entities.push(e);
    if (RANK[decision] > RANK[seen.decision]) {
      seen.decision = decision;
      seen.reason = reason ?? seen.reason;
    }
  }

  private blocked(name: string, phase: Phase, decision: Decision, reason: string | null): GuardrailBlocked {
    const where = phase === 'input' ? 'The request' : 'The answer';
    const why = decision === 'error' ? `the guardrail could not check it (${reason ?? 'failed'}) and fails closed` : (reason ?? 'policy');
    return new GuardrailBlocked(name, phase, `${where} was blocked by guardrail '${name}': ${why}`);
  }
}

function formatMs(ms: number): string {
  return ms >= 10 ? String(Math.round(ms)) : ms.toFixed(ms >= 1 ? 1 : 2);
}
