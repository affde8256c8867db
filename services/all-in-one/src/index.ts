export { type AllInOne, type AllInOneOptions, startAllInOne } from './all-in-one';
export {
  DEMO_CASES,
  DEMO_ORGANISATIONS,
  DEMO_PROJECTS,
  DEMO_WORKERS,
  type DemoSummary,
  demoUuid,
  loadDemo,
} from './demo';
