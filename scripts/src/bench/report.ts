import { execFileSync } from 'node:child_process';
import { cpus, loadavg, totalmem } from 'node:os';
import pg from 'pg';
import { REPO_ROOT } from './services';

/** A figure in the table: where it comes from, its target from issue #6, and the peer's key if any. */
export interface FigureSpec {
  key: string;
  label: string;
  unit: string;
  /** `≥` for rates, `≤` for latencies and memory. */
  better: 'higher' | 'lower';
  target?: number;
  /** The key of the same figure in the peer's results (Message DB). */
  peerKey?: string;
  /** The best peer's figure on the reference machine, from the issue, so the target reads as a ratio to it. */
  referencePeer?: number;
  /** The physical limit on the reference machine, from the issue, for context. */
  limit?: string;
  /** That limit as one number (a range's middle), so the target can be read as a share of it. */
  referenceLimit?: number;
  /** The key of the same figure measured with plain SQL and no ledger logic, in the same run. */
  limitKey?: string;
}

/** The rows of the table, in the issue's order; targets are issue #6 item 4's. */
export const FIGURES: FigureSpec[] = [
  {
    key: 'appendSingleEventsPerSec1Conn',
    label: 'single appends, 1 connection',
    unit: 'ev/s',
    better: 'higher',
    target: 4_500,
    peerKey: 'appendSingleEventsPerSec1Conn',
    referencePeer: 3_700,
    limit: '5,100',
    referenceLimit: 5_100,
    limitKey: 'limitInsertsPerSec1Conn',
  },
  {
    key: 'appendSingleEventsPerSec8Conn',
    label: 'single appends, 8 connections (grouped, the default)',
    unit: 'ev/s',
    better: 'higher',
    target: 12_000,
    peerKey: 'appendSingleEventsPerSec8Conn',
    referencePeer: 5_100,
    limit: '15,700',
    referenceLimit: 15_700,
    limitKey: 'limitInsertsPerSec8Conn',
  },
  {
    key: 'appendBatch100EventsPerSec',
    label: '100-event appends',
    unit: 'ev/s',
    better: 'higher',
    target: 55_000,
    peerKey: 'appendBatch100EventsPerSec',
    referencePeer: 36_000,
    limit: '70,000',
    referenceLimit: 70_000,
    limitKey: 'limitInsertsPerSec100Rows',
  },
  {
    key: 'readStream200P50Ms',
    label: '200-event stream read p50',
    unit: 'ms',
    better: 'lower',
    peerKey: 'readStream200P50Ms',
    limitKey: 'limitReadStream200P50Ms',
  },
  {
    key: 'readStream200P99Ms',
    label: '200-event stream read p99',
    unit: 'ms',
    better: 'lower',
    target: 1.5,
    peerKey: 'readStream200P99Ms',
    referencePeer: 1.7,
    limitKey: 'limitReadStream200P99Ms',
  },
  {
    key: 'readAllEventsPerSec',
    label: 'whole-log read from zero',
    unit: 'ev/s',
    better: 'higher',
    target: 200_000,
    peerKey: 'readAllEventsPerSec',
    referencePeer: 166_000,
    limit: '200,000–300,000',
    referenceLimit: 250_000,
    limitKey: 'limitReadAllRowsPerSec',
  },
  {
    key: 'httpSinglePostsPerSec',
    label: 'HTTP single POST /v1/events, 50 connections',
    unit: 'req/s',
    better: 'higher',
    target: 6_000,
    limit: '12,000',
    referenceLimit: 12_000,
    limitKey: 'limitHttpSinglePostsPerSec',
  },
  {
    key: 'httpSinglePostP99Ms',
    label: 'HTTP single POST p99',
    unit: 'ms',
    better: 'lower',
    target: 15,
    limit: '8',
    referenceLimit: 8,
    limitKey: 'limitHttpSinglePostP99Ms',
  },
  {
    key: 'httpBatchEventsPerSec',
    label: 'HTTP batch ingest (100 per batch, 8 connections)',
    unit: 'ev/s',
    better: 'higher',
    target: 30_000,
    limit: '55,000',
    referenceLimit: 55_000,
    limitKey: 'limitHttpBatchEventsPerSec',
  },
  {
    key: 'ingestCpuUsPerSinglePost',
    label: 'ingest API CPU per single POST',
    unit: 'µs',
    better: 'lower',
  },
  {
    key: 'ingestCpuUsPerBatchEvent',
    label: 'ingest API CPU per batch event',
    unit: 'µs',
    better: 'lower',
  },
  {
    key: 'rebuildEventsPerSec',
    label: 'projection rebuild, all read models',
    unit: 'ev/s',
    better: 'higher',
    target: 50_000,
    limit: '114,000 (one trivial counter)',
    referenceLimit: 114_000,
    limitKey: 'limitRebuildCounterEventsPerSec',
  },
  {
    key: 'projectorLiveCatchUpEventsPerSec',
    label: 'live projector catching up from zero, same synthetic log, in its default batches',
    unit: 'ev/s',
    better: 'higher',
  },
  {
    key: 'projectorCatchUpEventsPerSec',
    label: 'projector process catching up with the HTTP-ingested log',
    unit: 'ev/s',
    better: 'higher',
  },
  {
    key: 'yinchuanLoadSeconds',
    label: 'Yinchuan ×1 loaded and projected',
    unit: 's',
    better: 'lower',
    target: 30,
  },
  {
    key: 'yinchuanLoadEventsPerSec',
    label: 'Yinchuan ×1 load rate (HTTP batch path)',
    unit: 'ev/s',
    better: 'higher',
  },
  {
    key: 'embeddedLoadSeconds',
    label: 'Yinchuan ×1 loaded and projected, embedded (`npm start -- --yinchuan`, PGlite)',
    unit: 's',
    better: 'lower',
    target: 60,
  },
  {
    key: 'embeddedLoadEventsPerSec',
    label: 'Yinchuan ×1 load rate, embedded',
    unit: 'ev/s',
    better: 'higher',
  },
  { key: 'analystP50Ms', label: 'analyst queries p50, Yinchuan ×1', unit: 'ms', better: 'lower' },
  { key: 'analystP99Ms', label: 'analyst queries p99, Yinchuan ×1', unit: 'ms', better: 'lower' },
  {
    key: 'caseHistoryP50Ms',
    label: 'case history over HTTP p50, Yinchuan ×1',
    unit: 'ms',
    better: 'lower',
    limitKey: 'limitCaseHistoryP50Ms',
  },
  {
    key: 'caseHistoryP99Ms',
    label: 'case history over HTTP p99, Yinchuan ×1',
    unit: 'ms',
    better: 'lower',
    target: 5,
    limitKey: 'limitCaseHistoryP99Ms',
  },
  { key: 'bigLoadSeconds', label: 'Yinchuan ×N loaded and projected', unit: 's', better: 'lower' },
  {
    key: 'bigLoadEventsPerSec',
    label: 'Yinchuan ×N load rate (HTTP batch path)',
    unit: 'ev/s',
    better: 'higher',
  },
  { key: 'bigAnalystP50Ms', label: 'analyst queries p50, Yinchuan ×N', unit: 'ms', better: 'lower' },
  {
    key: 'bigAnalystP99Ms',
    label: 'analyst queries p99, Yinchuan ×N',
    unit: 'ms',
    better: 'lower',
    target: 20,
  },
  {
    key: 'bigCaseHistoryP50Ms',
    label: 'case history over HTTP p50, Yinchuan ×N',
    unit: 'ms',
    better: 'lower',
    limitKey: 'bigLimitCaseHistoryP50Ms',
  },
  {
    key: 'bigCaseHistoryP99Ms',
    label: 'case history over HTTP p99, Yinchuan ×N',
    unit: 'ms',
    better: 'lower',
    target: 5,
    limitKey: 'bigLimitCaseHistoryP99Ms',
  },
  { key: 'ingestPeakRssMb', label: 'peak RSS, ingest-api process', unit: 'MB', better: 'lower', target: 200 },
  {
    key: 'projectorPeakRssMb',
    label: 'peak RSS, projector process',
    unit: 'MB',
    better: 'lower',
    target: 200,
  },
  { key: 'queryPeakRssMb', label: 'peak RSS, query-api process', unit: 'MB', better: 'lower', target: 200 },
  {
    key: 'embeddedEndRssMb',
    label: 'RSS, all-in-one process with Yinchuan ×1 loaded and projected, embedded',
    unit: 'MB',
    better: 'lower',
  },
  {
    key: 'embeddedPeakRssMb',
    label: 'peak RSS, all-in-one process loading Yinchuan ×1 embedded (first start, initdb included)',
    unit: 'MB',
    better: 'lower',
  },
];

export type Figures = Record<string, number>;

const number = (value: number, unit: string) => {
  if (!Number.isFinite(value)) return '—';
  if (unit === 'ms' || unit === 's' || unit === 'MB')
    return value < 10
      ? value.toFixed(2)
      : value < 100
        ? value.toFixed(1)
        : Math.round(value).toLocaleString('en-US');
  return Math.round(value).toLocaleString('en-US');
};

/**
 * The markdown table. Besides the absolute target, each figure with a limit is read as
 * a share of the plain-SQL limit measured on this machine in the same run (ours/limit here),
 * next to the share the target asks of the reference machine's limit (target/limit there): a
 * slower or busier machine moves both figures of a pair alike, so that comparison holds where
 * the absolute one cannot. Figures with a peer are read the same way against Message DB measured
 * in the same run (ours/peer), next to the target over its best peer on the reference
 * machine (target/best peer there).
 */
export function markdownTable(figures: Figures, peer: Figures, labels: Record<string, string> = {}): string {
  const lines = [
    '| figure | ours | target | limit here | ours/limit here | target/limit (reference) | peer (Message DB) | ours/peer | target/best peer (reference) |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  const higher = (spec: FigureSpec) => spec.better === 'higher';
  // ' ✓' when `value` is on the better side of `bound` (the figure's direction), ' ✗' when not, '' when either is missing.
  const mark = (spec: FigureSpec, value: number | undefined, bound: number | undefined) =>
    value === undefined || bound === undefined
      ? ''
      : (higher(spec) ? value >= bound : value <= bound)
        ? ' ✓'
        : ' ✗';
  for (const spec of FIGURES) {
    const ours = figures[spec.key];
    if (ours === undefined) continue;
    const peerValue = spec.peerKey ? peer[spec.peerKey] : undefined;
    const target =
      spec.target === undefined ? '' : `${higher(spec) ? '≥' : '≤'} ${number(spec.target, spec.unit)}`;
    const limitHere = spec.limitKey ? figures[spec.limitKey] : undefined;
    const share = limitHere !== undefined && limitHere > 0 ? ours / limitHere : undefined;
    const asked =
      spec.target !== undefined && spec.referenceLimit !== undefined
        ? spec.target / spec.referenceLimit
        : undefined;
    const peerShare =
      peerValue !== undefined && Number.isFinite(peerValue) && peerValue > 0 ? ours / peerValue : undefined;
    const peerAsked =
      spec.target !== undefined && spec.referencePeer !== undefined
        ? spec.target / spec.referencePeer
        : undefined;
    const ratio =
      peerShare === undefined
        ? ''
        : `${peerShare.toFixed(2)}${mark(spec, peerShare, peerAsked)}${higher(spec) ? '' : ' (lower is better)'}`;
    const cells = [
      `${labels[spec.key] ?? spec.label} (${spec.unit})`,
      `${number(ours, spec.unit)}${mark(spec, Number.isFinite(ours) ? ours : undefined, spec.target)}`,
      target,
      limitHere === undefined ? '' : number(limitHere, spec.unit),
      share === undefined ? '' : `${share.toFixed(2)}${mark(spec, share, asked)}`,
      asked === undefined ? '' : `${asked.toFixed(2)} (of ${spec.limit})`,
      peerValue === undefined ? '' : number(peerValue, spec.unit),
      ratio,
      peerAsked === undefined ? '' : `${peerAsked.toFixed(2)} (of ${number(spec.referencePeer!, spec.unit)})`,
    ];
    lines.push(`| ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}

/** The plain-SQL figures into the event table's own shape, beside the limit and ours, for one line of the notes. */
const LEDGER_SHAPE = [
  [
    'single rows, 1 connection',
    'ledgerShapeInsertsPerSec1Conn',
    'limitInsertsPerSec1Conn',
    'appendSingleEventsPerSec1Conn',
  ],
  [
    'single rows, 8 connections',
    'ledgerShapeInsertsPerSec8Conn',
    'limitInsertsPerSec8Conn',
    'appendSingleEventsPerSec8Conn',
  ],
  [
    '100-row inserts',
    'ledgerShapeInsertsPerSec100Rows',
    'limitInsertsPerSec100Rows',
    'appendBatch100EventsPerSec',
  ],
] as const;

/**
 * What the ledger's keys and row size alone cost: plain SQL into a table shaped like the event
 * table, as a share of the limit, and ours as a share of that. Undefined without those figures.
 */
export function ledgerShapeNote(figures: Figures): string | undefined {
  const parts: string[] = [];
  for (const [label, shapeKey, limitKey, oursKey] of LEDGER_SHAPE) {
    const shape = figures[shapeKey];
    const limit = figures[limitKey];
    const ours = figures[oursKey];
    if (!shape || !limit || !ours) return undefined;
    parts.push(
      `${label} ${number(shape, 'ev/s')} ev/s (${(shape / limit).toFixed(2)} of the limit; ours ${(ours / shape).toFixed(2)} of it)`,
    );
  }
  return `Store, the ledger's keys: plain SQL into a table of the event table's own shape and keys (\`like es_events including all\`: position, stream and version, event id and source record; rows as long as our stored events), no ledger logic: ${parts.join('; ')}. The first share is what the schema costs the server before any code of ours runs; the second, what our code costs on top.`;
}

export interface Machine {
  cpus: string;
  cores: number;
  memoryGb: number;
  node: string;
  postgres: string;
  platform: string;
  loadAverageAtStart: number[];
}

export async function describeMachine(url: string): Promise<Machine> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  let postgres = 'unknown';
  try {
    postgres =
      (await client.query<{ v: string }>("select current_setting('server_version') as v")).rows[0]?.v ??
      postgres;
  } finally {
    await client.end();
  }
  const list = cpus();
  return {
    cpus: list[0]?.model ?? 'unknown',
    cores: list.length,
    memoryGb: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    postgres,
    platform: `${process.platform} ${process.arch}`,
    loadAverageAtStart: loadavg().map((n) => Math.round(n * 100) / 100),
  };
}

export function gitCommit(): string {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO_ROOT, encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

/** The targets as recorded in the results file. */
export function targets(): Record<string, { target: number; better: 'higher' | 'lower'; limit?: string }> {
  const out: Record<string, { target: number; better: 'higher' | 'lower'; limit?: string }> = {};
  for (const spec of FIGURES) {
    if (spec.target !== undefined)
      out[spec.key] = {
        target: spec.target,
        better: spec.better,
        ...(spec.limit ? { limit: spec.limit } : {}),
      };
  }
  return out;
}

export const README_START = '<!-- bench:start -->';
export const README_END = '<!-- bench:end -->';

/** Replaces what lies between the bench markers of the README (or appends them under the heading). */
export function withBenchSection(readme: string, body: string): string {
  const block = `${README_START}\n${body.trim()}\n${README_END}`;
  const start = readme.indexOf(README_START);
  const end = readme.indexOf(README_END);
  if (start >= 0 && end > start)
    return `${readme.slice(0, start)}${block}${readme.slice(end + README_END.length)}`;
  const heading = readme.includes('\n## Benchmarks') ? '' : '\n## Benchmarks\n\n';
  return `${readme.trimEnd()}\n${heading}${block}\n`;
}
