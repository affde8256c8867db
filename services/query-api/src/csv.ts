/**
 * RFC 4180 CSV for analysts' spreadsheets: a header row, CRLF line ends, fields quoted when
 * they hold a comma, a quote or a line break. A UTF-8 byte-order mark leads the text because
 * Excel, which most 民政 staff open these in, reads Chinese names as mojibake without it.
 */
export const CSV_CONTENT_TYPE = 'text/csv; charset=utf-8; header=present';

const BOM = '\uFEFF';
const NEEDS_QUOTES = /[",\r\n]/;
// A cell a spreadsheet would run as a formula (CSV injection): prefixed with an apostrophe.
const FORMULA_START = /^[=+\-@\t\r]/;

/** One CSV field from any JSON-able value; objects and arrays become JSON text. */
export function csvField(value: unknown): string {
  if (value === null || value === undefined) return '';
  let text: string;
  if (typeof value === 'string') {
    text = FORMULA_START.test(value) ? `'${value}` : value;
  } else if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') {
    text = String(value);
  } else if (value instanceof Date) {
    text = value.toISOString();
  } else {
    text = JSON.stringify(value);
  }
  return NEEDS_QUOTES.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/**
 * Flattens nested objects into dotted column names (`closedByReason.moved`) so each figure
 * gets its own column; arrays of scalars are joined with ';'.
 */
export function flattenRow(row: Record<string, unknown>, prefix = '', into: Record<string, unknown> = {}) {
  for (const [key, value] of Object.entries(row)) {
    const name = prefix ? `${prefix}.${key}` : key;
    if (value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof Date)) {
      flattenRow(value as Record<string, unknown>, name, into);
    } else if (Array.isArray(value) && value.every((item) => item === null || typeof item !== 'object')) {
      into[name] = value.join(';');
    } else {
      into[name] = value;
    }
  }
  return into;
}

/**
 * Writes rows as CSV. Columns are the union of the flattened rows' keys in first-seen order,
 * unless given; a header row is written even when there are no rows.
 */
export function toCsv(rows: ReadonlyArray<Record<string, unknown>>, columns?: readonly string[]): string {
  const flat = rows.map((row) => flattenRow(row));
  const header = columns ? [...columns] : unionOfKeys(flat);
  const lines = [header.map(csvField).join(',')];
  for (const row of flat) lines.push(header.map((column) => csvField(row[column])).join(','));
  return `${BOM}${lines.join('\r\n')}\r\n`;
}

function unionOfKeys(rows: ReadonlyArray<Record<string, unknown>>): string[] {
  const seen = new Set<string>();
  for (const row of rows) for (const key of Object.keys(row)) seen.add(key);
  return [...seen];
}
