// Guardrail metrics: decisions counted per guardrail, phase and decision, and the time each check took.
import type { Registry } from 'prom-client';
import { FastHistogram } from '../observability/histogram.js';
import { Tally } from '../observability/tally.js';
import type { DecisionSink } from './session.js';

const BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

export function guardrailMetrics(registry: Registry, prefix: string): DecisionSink {
  const registers = [registry];
  const decisions = new Tally(
    { name: `${prefix}_guardrail_decisions_total`, help: 'Guardrail decisions by guardrail, phase (input, output) and decision (pass, mask, block, monitor, error)', registers },
    ['guardrail', 'phase', 'decision'],
  );
  const duration = new FastHistogram(`${prefix}_guardrail_duration_seconds`, 'Time each guardrail check took (a stream is checked once per window)', ['guardrail', 'phase'], BUCKETS, registers);
  return (name, phase, decision, ms) => {
    decisions.add([name, phase, decision]);
    duration.observe([name, phase], ms / 1000);
  };
}
