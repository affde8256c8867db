export { READ_MODEL_DATABASE_SETTINGS } from './database-settings';
export { cstDay } from './dimensions';
export {
  createReadModelSchema,
  dropReadModelSchema,
  READ_MODEL_VERSION,
} from './migrations';
export { applyEvents, PROJECTIONS } from './projections';
export { caseSummariesProjection } from './projections/case-summaries.projection';
export { projectOutcomesProjection } from './projections/project-outcomes.projection';
export type { Projection } from './projections/projection';
export { regionSummariesProjection } from './projections/region-summaries.projection';
export { registryProjection } from './projections/registry.projection';
export { serviceInstancesProjection } from './projections/service-instances.projection';
export { workerWorkloadsProjection } from './projections/worker-workloads.projection';
export {
  dropAllReadModels,
  ensureReadModels,
  type GenerationPointer,
  generationSchemaName,
  readCheckpoint,
  readModelsFor,
  readPointer,
} from './projector/generation';
export { registerProjectorMetrics } from './projector/metrics';
export { createProjector, type Projector, type ProjectorDeps } from './projector/projector';
export { type RebuildDeps, rebuildReadModels } from './projector/rebuild';
export { type CaseSummary, getCaseSummary } from './queries/case-summary.query';
export type { AnalystFilters } from './queries/filters';
export {
  CLOSURE_REASONS,
  type ClosureReason,
  getProjectOutcomes,
  type ProjectOutcome,
} from './queries/project-outcomes.query';
export { getRegionSummary, type RegionSummary } from './queries/region-summary.query';
export {
  getServiceInstances,
  SERVICE_INSTANCE_GROUPINGS,
  type ServiceInstanceGroupBy,
  type ServiceInstanceRow,
  UNATTRIBUTED,
} from './queries/service-instances.query';
export {
  type CaseloadBand,
  caseloadBand,
  getWorkerWorkloads,
  VISIT_CADENCE_DAYS,
  type WorkerWorkload,
} from './queries/worker-workloads.query';
export type {
  CaseActivityDailyTable,
  CaseSummaryTable,
  CheckpointTable,
  CountedEntryTable,
  OrganisationTable,
  ProjectTable,
  ReadModelDatabase,
  RegionSummaryTable,
  ServiceInstanceCountyMonthlyTable,
  ServiceInstanceDailyTable,
  ServiceInstanceMonthlyTable,
  ServiceInstanceRegionMonthlyTable,
  SupervisionDailyTable,
  WorkerTable,
} from './schema';
