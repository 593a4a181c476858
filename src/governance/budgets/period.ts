// Budget periods in UTC: when the current one began and when it resets.
import type { Budget } from '../limits.js';

export interface Period {
  /** ISO start of the current period (the epoch for `total`). */
  start: string;
  /** When it resets; null for `total`. */
  resetsAt: string | null;
}

export function currentPeriod(period: Budget['period'], now = new Date()): Period {
  const y = now.getUTCFullYear();
  const m = now.getUTCMonth();
  const d = now.getUTCDate();
  const iso = (t: number) => new Date(t).toISOString();
  switch (period) {
    case 'daily':
      return { start: iso(Date.UTC(y, m, d)), resetsAt: iso(Date.UTC(y, m, d + 1)) };
    case 'weekly': {
      const sinceMonday = (now.getUTCDay() + 6) % 7;
      return { start: iso(Date.UTC(y, m, d - sinceMonday)), resetsAt: iso(Date.UTC(y, m, d - sinceMonday + 7)) };
    }
    case 'monthly':
      return { start: iso(Date.UTC(y, m, 1)), resetsAt: iso(Date.UTC(y, m + 1, 1)) };
    case 'total':
      return { start: iso(0), resetsAt: null };
  }
}
