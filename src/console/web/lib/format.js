// Numbers, money, durations and times as the console shows them, and CSV for downloads.
const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const decimal = new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 });

export const dash = '—';

export function num(value, digits = 0) {
  if (value === null || value === undefined || Number.isNaN(value)) return dash;
  return digits === 0 ? integer.format(value) : new Intl.NumberFormat('en-US', { maximumFractionDigits: digits }).format(value);
}

export function usd(value) {
  if (value === null || value === undefined) return dash;
  const abs = Math.abs(value);
  const digits = abs === 0 ? 2 : abs < 0.01 ? 6 : abs < 1 ? 4 : 2;
  return `$${value.toFixed(digits)}`;
}

/** Dollar ticks for a chart axis, all with the same decimals: the fewest (2 to 6) that write every tick exactly. */
export function usdAxis(ticks) {
  let digits = 2;
  while (digits < 6 && !ticks.every((t) => Math.abs(t * 10 ** digits - Math.round(t * 10 ** digits)) < 1e-6)) digits++;
  return ticks.map((t) => `$${t.toFixed(digits)}`);
}

export function ms(value) {
  if (value === null || value === undefined) return dash;
  return value >= 1000 ? `${decimal.format(value / 1000)} s` : `${decimal.format(value)} ms`;
}

export function pct(value) {
  return value === null || value === undefined ? dash : `${decimal.format(value)} %`;
}

export function time(iso) {
  if (!iso) return dash;
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? String(iso) : date.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
}

export function ago(iso) {
  if (!iso) return dash;
  const seconds = Math.round((Date.now() - Date.parse(iso)) / 1000);
  if (seconds < 60) return `${Math.max(0, seconds)} s ago`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min ago`;
  if (seconds < 86400) return `${Math.round(seconds / 3600)} h ago`;
  return `${Math.round(seconds / 86400)} d ago`;
}

export function duration(seconds) {
  if (seconds === null || seconds === undefined) return dash;
  if (seconds < 60) return `${Math.round(seconds)} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)} h ${Math.floor((seconds % 3600) / 60)} min`;
  return `${Math.floor(seconds / 86400)} d ${Math.floor((seconds % 86400) / 3600)} h`;
}

/** A form field's number: a number when the text is one, the text itself otherwise (so the API names what
 * is wrong with it), null when empty. */
export function numberOrText(value) {
  const trimmed = value.trim();
  if (trimmed === '') return null;
  const n = Number(trimmed);
  return Number.isFinite(n) ? n : trimmed;
}

/** RFC 4180 CSV; cells that a spreadsheet would run as a formula are prefixed with a quote. */
export function toCsv(header, rows) {
  const cell = (value) => {
    let text = value === null || value === undefined ? '' : String(value);
    if (/^[=+\-@\t\r]/.test(text) && Number.isNaN(Number(text))) text = `'${text}`;
    return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
  };
  return [header, ...rows].map((row) => row.map(cell).join(',')).join('\r\n') + '\r\n';
}

export function download(name, text, type = 'text/csv') {
  const link = document.createElement('a');
  link.href = URL.createObjectURL(new Blob([text], { type }));
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 1000);
}

/** YYYY-MM-DD of a date `days` before today (UTC). */
export function daysAgo(days) {
  return new Date(Date.now() - days * 86_400_000).toISOString().slice(0, 10);
}
