import { batchPosts, singlePosts } from './ingest.bench';
import { createScratchDatabase, startService } from './services';
import { median } from './stats';

export interface HttpLimitFigures {
  limitHttpSinglePostsPerSec: number;
  limitHttpSinglePostP99Ms: number;
  limitHttpBatchEventsPerSec: number;
}

/**
 * The HTTP figures' limit on this machine, measured as the ingest figures are (same load,
 * same bodies, same node flags) against `bare-server.ts`: a server with no ledger logic.
 */
export async function runHttpLimitBench(options: {
  url: string;
  quick?: boolean;
  runs?: number;
  onProgress?: (line: string) => void;
}): Promise<HttpLimitFigures> {
  const quick = options.quick ?? false;
  const runs = options.runs ?? (quick ? 1 : 3);
  const seconds = quick ? 3 : 10;
  const say = options.onProgress ?? (() => {});
  const database = await createScratchDatabase(options.url, 'bare');
  const bare = await startService(
    'ingest-api',
    { DATABASE_URL: database.url },
    { script: 'scripts/src/bench/bare-server.ts' },
  );
  try {
    await singlePosts(bare.url, 'none', 1);
    const single: Array<{ perSec: number; p99: number }> = [];
    const batch: number[] = [];
    for (let run = 0; run < runs; run++) {
      single.push(await singlePosts(bare.url, 'none', seconds));
      batch.push((await batchPosts(bare.url, 'none', seconds)).perSec);
      say(
        `limit run ${run + 1}/${runs}: ${Math.round(single.at(-1)!.perSec)} req/s, ${Math.round(batch.at(-1)!)} ev/s`,
      );
    }
    return {
      limitHttpSinglePostsPerSec: Math.round(median(single.map((s) => s.perSec))),
      limitHttpSinglePostP99Ms: median(single.map((s) => s.p99)),
      limitHttpBatchEventsPerSec: Math.round(median(batch)),
    };
  } finally {
    await bare.stop().catch(() => {});
    await database.drop().catch(() => {});
  }
}
