/**
 * The HTTP limits of issue #6 on this machine, routes with no ledger logic on node:http:
 * - `POST /v1/events` and `POST /v1/events/batch`: JSON.parse of the body, one plain durable
 *   INSERT (one row, or all rows of a batch in one statement), a small JSON answer. No auth, no
 *   validation, no decider, no hash chain, no encryption.
 * - `GET /v1/cases/:caseId/history`: the case's rows read from the event table the services
 *   wrote (`es_events` in the database's default schema), one durable single-row INSERT (where
 *   the query API records the read in the audit trail), the rows' events parsed and answered.
 *   No auth, no chain check, no decryption.
 * The bench starts it as a child process with a service's own node flags and drives it exactly
 * as it drives that service.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import pg from 'pg';

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 8 });
await pool.query('create table if not exists bare_events (id uuid primary key, body text not null)');
await pool.query('create table if not exists bare_reads (id uuid primary key, body text not null)');
const HISTORY = /^\/v1\/cases\/([0-9a-f-]{36})\/history(?:\?|$)/;

async function bodyOf(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

function answer(response: ServerResponse, status: number, body: unknown) {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
  });
  response.end(text);
}

async function handle(request: IncomingMessage, response: ServerResponse) {
  if (request.method === 'GET' && request.url === '/healthz') return answer(response, 200, { ok: true });
  const history = request.method === 'GET' ? HISTORY.exec(request.url ?? '') : null;
  if (history) {
    const caseId = history[1] as string;
    const { rows } = await pool.query<unknown[]>({
      name: 'history',
      text: 'select position, hash, event from es_events where stream_id = $1 order by version',
      values: [`case-${caseId}`],
      rowMode: 'array',
    });
    if (rows.length === 0) return answer(response, 404, { code: 'CASE_NOT_FOUND' });
    await pool.query({
      name: 'read',
      text: 'insert into bare_reads values ($1, $2)',
      values: [randomUUID(), JSON.stringify({ caseId, route: '/v1/cases/:caseId/history' })],
    });
    const events = rows.map(([position, hash, event]) => ({
      ...(JSON.parse(event as string) as object),
      position: String(position),
      hash,
    }));
    return answer(response, 200, { caseId, events });
  }
  if (request.method !== 'POST') return answer(response, 404, { code: 'NOT_FOUND' });
  const body = (await bodyOf(request)) as { eventId?: string; events?: Array<{ eventId?: string }> };
  if (request.url === '/v1/events') {
    const id = body.eventId ?? randomUUID();
    await pool.query({
      name: 'one',
      text: 'insert into bare_events values ($1, $2)',
      values: [id, JSON.stringify(body)],
    });
    return answer(response, 201, { eventId: id });
  }
  if (request.url === '/v1/events/batch' && Array.isArray(body.events)) {
    const ids = body.events.map((event) => event.eventId ?? randomUUID());
    await pool.query({
      name: 'many',
      text: 'insert into bare_events select * from unnest($1::uuid[], $2::text[])',
      values: [ids, body.events.map((event) => JSON.stringify(event))],
    });
    return answer(response, 200, { results: ids.map((eventId) => ({ eventId, status: 201 })) });
  }
  return answer(response, 404, { code: 'NOT_FOUND' });
}

const server = createServer((request, response) => {
  handle(request, response).catch((error: unknown) => answer(response, 500, { detail: String(error) }));
});
server.listen(Number(process.env.PORT ?? 0), process.env.HOST ?? '127.0.0.1');
const stop = () => server.close(() => void pool.end().then(() => process.exit(0)));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
