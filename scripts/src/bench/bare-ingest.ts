/**
 * The HTTP limit of issue #6 on this machine: `POST /v1/events` and `POST /v1/events/batch`
 * with no ledger logic — node:http, JSON.parse of the body, one plain durable INSERT (one row,
 * or all rows of a batch in one statement), a small JSON answer. No auth, no validation, no
 * decider, no hash chain, no encryption. The bench starts it as a child process with the
 * ingest API's own node flags and drives it exactly as it drives the ingest API.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import pg from 'pg';

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 8 });
await pool.query('create table if not exists bare_events (id uuid primary key, body text not null)');

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
