// Why a budget refused a request, said so the client can act: the budget is exhausted (wait for the
// reset, or for requests in flight to settle), or this one request's worst case is more than what is
// left (lower max_tokens, shorten the prompt). Retry-After is sent only when waiting would help.
import { ProxyError } from '../../errors.js';

export interface WorstCase {
  usd: number;
  promptTokens: number;
  completionTokens: number;
  /** USD per completion token and for the prompt alone (null: the model has no price). */
  perCompletionToken: number;
  promptUsd: number;
}

export interface RefusedScope {
  label: string;
  max: number;
  period: string;
  resetsAt: string | null;
  spent: number;
  reserved: number;
}

/** Dollars with enough digits to be true: cents for amounts of a dollar or more, four significant digits below. */
export function usd(n: number): string {
  if (n === 0) return '$0';
  if (Math.abs(n) >= 1) return `$${n.toFixed(2)}`;
  const digits = Math.max(2, Math.min(10, 3 - Math.floor(Math.log10(Math.abs(n)))));
  return `$${n.toFixed(digits).replace(/(\.\d\d\d*?)0+$/, '$1')}`;
}

export function budgetRefusal(scope: RefusedScope, request: WorstCase): ProxyError {
  const left = scope.max - scope.spent - scope.reserved;
  const secondsToReset = scope.resetsAt ? Math.max(1, Math.ceil((Date.parse(scope.resetsAt) - Date.now()) / 1000)) : null;
  const resets = scope.resetsAt ? `it resets at ${scope.resetsAt}` : 'it does not reset';
  const inFlight = scope.reserved > 0 ? ` and ${usd(scope.reserved)} reserved by requests in flight` : '';
  const standing = `${usd(scope.spent)} spent${inFlight} of ${usd(scope.max)} (${scope.period})`;
  const extra = {
    budget_usd: scope.max,
    spent_usd: round(scope.spent),
    reserved_usd: round(scope.reserved),
    remaining_usd: round(Math.max(0, left)),
    request_max_cost_usd: round(request.usd),
    resets_at: scope.resetsAt,
  };
  const headers: Record<string, string> = { 'x-budget-remaining-usd': Math.max(0, left).toFixed(8) };
  if (scope.resetsAt) headers['x-budget-resets-at'] = scope.resetsAt;
  // Reservations in flight settle to what their requests really cost: a retry soon may pass.
  const settling = scope.reserved > 0 && request.usd <= scope.max - scope.spent;

  if (left <= 0 || scope.spent >= scope.max) {
    const after = settling ? 1 : secondsToReset;
    if (after) headers['retry-after'] = String(after);
    return new ProxyError('budget_exceeded', `Budget of ${scope.label} exhausted: ${standing}; ${resets}`, null, { reason: 'budget_exhausted', ...extra }, headers);
  }

  const fit = request.perCompletionToken > 0 ? Math.floor((left - request.promptUsd) / request.perCompletionToken) : 0;
  const never = request.usd > scope.max;
  let advice: string;
  if (fit >= 1) advice = `lower max_tokens to ${fit} or less`;
  else if (never) advice = 'shorten the prompt or lower max_tokens: this request could cost more than the whole budget';
  else advice = `shorten the prompt, or wait until the budget resets (${scope.resetsAt ?? 'never'})`;
  if (settling) headers['retry-after'] = '1';
  else if (fit < 1 && !never && secondsToReset) headers['retry-after'] = String(secondsToReset);
  return new ProxyError(
    'budget_exceeded',
    `This request could cost up to ${usd(request.usd)} (about ${request.promptTokens} prompt tokens and ${request.completionTokens} completion tokens), more than the ${usd(left)} left of the budget of ${scope.label} (${standing}); ${advice}`,
    null,
    { reason: 'request_too_large', ...extra, ...(fit >= 1 && { max_tokens_that_fit: fit }) },
    headers,
  );
}

const round = (n: number) => Math.round(n * 1e8) / 1e8;
