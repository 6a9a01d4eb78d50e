import type { Config } from '@react-router/dev/config';

export default {
  ssr: true,
  // Route middleware: one Splitflap client per request, shared by every loader (app/splitflap.ts).
  future: { v8_middleware: true, v8_splitRouteModules: true, v8_viteEnvironmentApi: true, v8_passThroughRequests: true, v8_trailingSlashAwareDataRequests: true },
} satisfies Config;
