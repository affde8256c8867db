import { defineConfig } from 'vitest/config';

// Opening an embedded PGlite takes seconds on a busy 2-core machine.
export default defineConfig({ test: { hookTimeout: 60_000, testTimeout: 30_000 } });
