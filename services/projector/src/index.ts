export { loadConfig, type ProjectorConfig, REQUIRED_ENV } from './config';
