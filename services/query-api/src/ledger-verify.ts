import { type EventStore, GENESIS_HASH, type RecordedEvent } from '@fengcheng/event-store';

const PAGE = 2_000;
const MAX_BROKEN_LISTED = 100;

export interface BrokenLink {
  streamId: string;
  brokenAt: number;
  reason: string;
  position: string | null;
}

export interface LedgerVerification {
  ok: boolean;
  events: number;
  streams: number;
  digest: string;
  lastPosition: bigint;
  broken: BrokenLink[];
  brokenCount: number;
  seconds: number;
}

/**
 * Walks the global log page by page and checks every stream's chain as it goes: versions
 * without gaps, the first prevHash the genesis and each next one the hash before it, each
 * hash recomputed by the store (`readAllChecked`). Memory holds one page plus each stream's
 * head, not the log. The digest comes from the store over exactly the range walked, so it
 * can be compared with one exported earlier.
 */
export async function verifyLedger(
  store: EventStore,
  options: { upTo?: bigint } = {},
): Promise<LedgerVerification> {
  const started = performance.now();
  const heads = new Map<string, { version: number; hash: string; broken: boolean }>();
  const broken: BrokenLink[] = [];
  let brokenCount = 0;
  let events = 0;
  let lastPosition = 0n;
  const upTo = options.upTo ?? (await store.headPosition());

  const markBroken = (event: RecordedEvent, reason: string) => {
    const head = heads.get(event.streamId);
    if (head?.broken) return;
    brokenCount++;
    if (broken.length < MAX_BROKEN_LISTED) {
      broken.push({
        streamId: event.streamId,
        brokenAt: event.version,
        reason,
        position: event.position.toString(),
      });
    }
    heads.set(event.streamId, { version: event.version, hash: event.hash, broken: true });
  };

  let after = 0n;
  for (;;) {
    const page = await store.readAllChecked({ after, limit: PAGE });
    let done = page.length < PAGE;
    for (const { event, intact } of page) {
      if (event.position > upTo) {
        done = true;
        break;
      }
      events++;
      lastPosition = event.position;
      const head = heads.get(event.streamId);
      if (head?.broken) continue;
      const expectedVersion = (head?.version ?? 0) + 1;
      if (event.version !== expectedVersion) {
        markBroken(event, 'version_gap');
      } else if (event.prevHash !== (head?.hash ?? GENESIS_HASH)) {
        markBroken(event, 'prev_hash_mismatch');
      } else if (!intact) {
        markBroken(event, 'hash_mismatch');
      } else {
        heads.set(event.streamId, { version: event.version, hash: event.hash, broken: false });
      }
    }
    if (done || page.length === 0) break;
    after = page[page.length - 1]!.event.position;
  }

  const digest = await store.ledgerDigest({ upTo: lastPosition });
  if (digest.events !== events) {
    brokenCount++;
    broken.push({ streamId: '*', brokenAt: digest.events, reason: 'event_count_mismatch', position: null });
  }
  return {
    ok: brokenCount === 0,
    events,
    streams: heads.size,
    digest: digest.digest,
    lastPosition,
    broken,
    brokenCount,
    seconds: Math.round((performance.now() - started) / 10) / 100,
  };
}
