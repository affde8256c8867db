export {
  generateYinchuan,
  SERVICE_INSTANCES_PER_SCALE,
  WORKERS,
  type YinchuanDataset,
} from './generate';
export {
  analystTotalAt,
  httpPost,
  type LoadProgress,
  type LoadResult,
  loadYinchuan,
  type Post,
  type YinchuanLoadSummary,
} from './load';
