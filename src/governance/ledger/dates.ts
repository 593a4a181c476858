// One rule for ledger ranges everywhere (/v1/logs, /v1/logs/export, /v1/spend, key usage, the
// export-dataset CLI): `from` and `to` are dates or ISO date-times, and a date-only `to` includes that
// whole day (regression: it was midnight at its start in some places and the whole day in others).
const DATE_OR_TIME = /^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:\d{2})?)?$/;
const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;

/** The instant a bound stands for, as ISO text (UTC); null when the value is not a date or date-time. */
export function rangeBound(value: string, bound: 'from' | 'to'): string | null {
  if (!DATE_OR_TIME.test(value) || Number.isNaN(Date.parse(value))) return null;
  if (bound === 'to' && DATE_ONLY.test(value)) return new Date(Date.parse(value) + 86_400_000 - 1).toISOString();
  return new Date(value).toISOString();
}
