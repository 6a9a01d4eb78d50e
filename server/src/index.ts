/**
 * splitflap-server: a Sixpack-compatible server (the Sixpack 2.7.0 HTTP API and Redis layout) with
 * a separate admin API, bounded storage and a command line (`splitflap-server`).
 *
 * ```ts
 * import { createServer, redisStore } from 'splitflap-server';
 * const store = redisStore({ url: 'redis://127.0.0.1:6379/15', prefix: 'sixpack' });
 * const server = createServer({ store });
 * await server.listen(5000, '0.0.0.0');   // public: /participate, /convert, read-only views
 * await server.admin.listen(5001);        // admin API, 127.0.0.1 by default
 * ```
 */
export {
  createSixpackServer,
  createSixpackServer as createServer,
  SIXPACK_VERSION,
  MAX_URL,
  type CorsSettings,
  type Listener,
  type RequestEvent,
  type SixpackServer,
  type SixpackServerOptions,
} from './server';
export { DEFAULT_LIMITS, SixpackError, type ServerLimits, type SixpackModel } from './model';
export { DEFAULT_ROBOT_REGEX, SIXPACK_ROBOT_REGEX } from './params';
export { memoryStore, StoreLimitError, StoreUnavailableError, type ExperimentRecord, type SixpackStore } from './store';
export { redisStore, type KeyLayout, type RedisSixpackStore, type RedisStoreOptions } from './redis-store';
export { migrateToCluster, type MigrationReport } from './migrate';
export type { Listening } from './http-kit';
