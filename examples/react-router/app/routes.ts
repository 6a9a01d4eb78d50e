import { index, route, type RouteConfig } from '@react-router/dev/routes';

export default [index('routes/home.tsx'), route('api/flags', 'routes/api.flags.ts')] satisfies RouteConfig;
