// Tests run on lavapipe (a software GPU) and share the machine's cores: a generous per-test timeout
// keeps a loaded machine from failing a correct test. No test asserts a timing.
import { defineConfig } from 'vitest/config';

export default defineConfig({ test: { testTimeout: 60_000, hookTimeout: 60_000 } });
