import { type DomainEvent, streamIds, type WorkerInfo } from '@fengcheng/domain';
import type { EventStore, RecordedEvent } from '@fengcheng/event-store';
import { LRUCache } from 'lru-cache';

export interface ReferencedIds {
  workerIds: string[];
  projectIds: string[];
  organisationIds: string[];
}

export interface RegistrationContext {
  workers: Map<string, WorkerInfo>;
  projects: Map<string, { organisationId: string }>;
  organisations: Set<string>;
}

type Entry<T> = { value: T; expiresAt: number };

const NO_WORKERS: RegistrationContext['workers'] = new Map();
const NO_PROJECTS: RegistrationContext['projects'] = new Map();
const NO_ORGANISATIONS: RegistrationContext['organisations'] = new Set();

/** Registrations of each kind kept in memory; the least recently used goes first (a miss is one stream read). */
export const MAX_CACHED_REGISTRATIONS = 20_000;

type Cache<T> = LRUCache<string, Entry<T>>;

const cache = <T>(): Cache<T> => new LRUCache<string, Entry<T>>({ max: MAX_CACHED_REGISTRATIONS });

/**
 * The registrations (organisations, workers, projects) commands name, read from their
 * streams and kept in memory. Registrations never change, so they are cached; only a
 * worker's certification can, so entries expire after `ttlMs` to pick up a WorkerCertified
 * appended by another process. "Not registered" is never cached: another process may
 * register it the next moment.
 */
export class Registrations {
  private readonly workers = cache<WorkerInfo>();
  private readonly projects = cache<{ organisationId: string }>();
  private readonly organisations = cache<true>();
  private readonly loading = new Map<string, Promise<unknown>>();

  constructor(
    private readonly store: EventStore,
    private readonly ttlMs = 60_000,
  ) {}

  /**
   * Looks up the named registrations; the ones not registered are left out. Answers at once
   * (no promise) when every one is in memory, as on the hot path nearly all are.
   */
  contextFor(ids: ReferencedIds): RegistrationContext | Promise<RegistrationContext> {
    // A kind none is named of shares one empty collection (only named ones are ever added).
    const context: RegistrationContext = {
      workers: ids.workerIds.length > 0 ? new Map() : NO_WORKERS,
      projects: ids.projectIds.length > 0 ? new Map() : NO_PROJECTS,
      organisations: ids.organisationIds.length > 0 ? new Set() : NO_ORGANISATIONS,
    };
    const pending: Promise<void>[] = [];
    for (const id of ids.workerIds) {
      const hit = this.fresh(this.workers, id);
      if (hit) context.workers.set(id, hit);
      else
        pending.push(
          this.load(streamIds.worker(id), (events) => this.foldWorker(id, events)).then((worker) => {
            if (worker) context.workers.set(id, worker);
          }),
        );
    }
    for (const id of ids.projectIds) {
      const hit = this.fresh(this.projects, id);
      if (hit) context.projects.set(id, hit);
      else
        pending.push(
          this.load(streamIds.project(id), (events) => this.foldProject(id, events)).then((project) => {
            if (project) context.projects.set(id, project);
          }),
        );
    }
    for (const id of ids.organisationIds) {
      if (this.fresh(this.organisations, id)) context.organisations.add(id);
      else
        pending.push(
          this.load(streamIds.organisation(id), (events) => this.foldOrganisation(id, events)).then(
            (known) => {
              if (known) context.organisations.add(id);
            },
          ),
        );
    }
    return pending.length > 0 ? Promise.all(pending).then(() => context) : context;
  }

  /** Takes note of registrations this process has just appended, so the next command sees them. */
  learn(events: readonly DomainEvent[]): void {
    const expiresAt = Date.now() + this.ttlMs;
    for (const event of events) {
      switch (event.type) {
        case 'OrganisationRegistered':
          this.organisations.set(event.data.organisationId, { value: true, expiresAt });
          break;
        case 'WorkerRegistered':
          this.workers.set(event.data.workerId, {
            value: {
              organisationId: event.data.organisationId,
              role: event.data.role,
              certification: event.data.certification,
            },
            expiresAt,
          });
          break;
        case 'WorkerCertified': {
          const known = this.workers.get(event.data.workerId);
          if (known) {
            this.workers.set(event.data.workerId, {
              value: { ...known.value, certification: event.data.certification },
              expiresAt,
            });
          }
          break;
        }
        case 'ProjectRegistered':
          this.projects.set(event.data.projectId, {
            value: { organisationId: event.data.organisationId },
            expiresAt,
          });
          break;
        default:
          break;
      }
    }
  }

  private fresh<T>(map: Cache<T>, id: string): T | undefined {
    const entry = map.get(id);
    return entry && entry.expiresAt > Date.now() ? entry.value : undefined;
  }

  private load<T>(streamId: string, fold: (events: RecordedEvent[]) => T): Promise<T> {
    let pending = this.loading.get(streamId) as Promise<T> | undefined;
    if (!pending) {
      pending = this.store
        .readStream(streamId)
        .then(fold)
        .finally(() => this.loading.delete(streamId));
      this.loading.set(streamId, pending);
    }
    return pending;
  }

  private foldWorker(id: string, events: RecordedEvent[]): WorkerInfo | undefined {
    let worker: WorkerInfo | undefined;
    for (const event of events) {
      if (event.type === 'WorkerRegistered') {
        const data = event.data as {
          organisationId: string;
          role: WorkerInfo['role'];
          certification: WorkerInfo['certification'];
        };
        worker = { organisationId: data.organisationId, role: data.role, certification: data.certification };
      } else if (event.type === 'WorkerCertified' && worker) {
        worker = {
          ...worker,
          certification: (event.data as { certification: WorkerInfo['certification'] }).certification,
        };
      }
    }
    if (worker) this.workers.set(id, { value: worker, expiresAt: Date.now() + this.ttlMs });
    return worker;
  }

  private foldProject(id: string, events: RecordedEvent[]): { organisationId: string } | undefined {
    const registered = events.find((event) => event.type === 'ProjectRegistered');
    if (!registered) return undefined;
    const value = { organisationId: (registered.data as { organisationId: string }).organisationId };
    this.projects.set(id, { value, expiresAt: Date.now() + this.ttlMs });
    return value;
  }

  private foldOrganisation(id: string, events: RecordedEvent[]): boolean {
    const known = events.some((event) => event.type === 'OrganisationRegistered');
    if (known) this.organisations.set(id, { value: true, expiresAt: Date.now() + this.ttlMs });
    return known;
  }
}

/**
 * Whether an organisation is registered, by the same reading of its stream the commands get
 * (`Registrations`), for the admin routes' key issuing. An instance of its own: "not registered"
 * is never cached, so a registration appended since is seen at once.
 */
export function organisationRegisteredIn(store: EventStore): (organisationId: string) => Promise<boolean> {
  const registrations = new Registrations(store);
  return async (organisationId) =>
    (
      await registrations.contextFor({ workerIds: [], projectIds: [], organisationIds: [organisationId] })
    ).organisations.has(organisationId);
}
