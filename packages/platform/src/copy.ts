import { CompiledQuery } from 'kysely';

/**
 * The data of a `copy … from stdin` statement run through Kysely: the statement's only
 * parameter. Each backend's connection runs such a query as a COPY — the server's with
 * pg-copy-streams, PGlite's from its `/dev/blob` — instead of binding the parameter.
 */
export class CopyData {
  constructor(readonly text: string) {}
}

/** How a COPY statement built here ends; PGlite's dialect reads from its blob instead. */
export const FROM_STDIN = ' from stdin';

/** The COPY data a query built by `copyRows` carries as its only parameter, else undefined. */
export function copyDataOf(parameters: ReadonlyArray<unknown>): CopyData | undefined {
  const [first] = parameters;
  return parameters.length === 1 && first instanceof CopyData ? first : undefined;
}

const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;
const ESCAPED = /[\\\n\r\t]/;
const ESCAPES: Record<string, string> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' };
const escaped = (character: string) => ESCAPES[character] as string;

/**
 * One value as a field of COPY's text format: null (and undefined, and a number JSON has no
 * text for) as `\N`, like a missing key of `json_to_recordset`; a backslash, newline, carriage
 * return or tab escaped; a Date as its ISO text; an object as its JSON.
 */
function field(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return ESCAPED.test(value) ? value.replace(/[\\\n\r\t]/g, escaped) : value;
    case 'number':
      return Number.isFinite(value) ? String(value) : '\\N';
    case 'boolean':
      return value ? 't' : 'f';
    case 'bigint':
      return String(value);
    case 'undefined':
      return '\\N';
    default:
      if (value === null) return '\\N';
      if (value instanceof Date) return value.toISOString();
      return field(JSON.stringify(value));
  }
}

/** `rows` in COPY's text format, `columns` in order: a line per row, fields parted by tabs. */
function copyText(columns: readonly string[], rows: readonly object[]): string {
  const lines: string[] = new Array(rows.length);
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r] as Record<string, unknown>;
    let line = field(row[columns[0] as string]);
    for (let c = 1; c < columns.length; c++) line += `\t${field(row[columns[c] as string])}`;
    lines[r] = line;
  }
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}

/**
 * `copy table (columns) from stdin` with `rows` as its data, for `trx.executeQuery`: plain rows
 * straight into the table, no statement to plan and no JSON for the server to parse. COPY has
 * no `on conflict`: for a table the rows cannot clash in (an empty one, or one without keys).
 */
export function copyRows(table: string, columns: readonly string[], rows: readonly object[]): CompiledQuery {
  for (const name of [table, ...columns]) {
    if (!IDENTIFIER.test(name)) throw new Error(`not a plain identifier: ${name}`);
  }
  return CompiledQuery.raw(`copy ${table} (${columns.join(', ')})${FROM_STDIN}`, [
    new CopyData(copyText(columns, rows)),
  ]);
}
