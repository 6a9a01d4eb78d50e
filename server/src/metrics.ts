/**
 * Prometheus metrics in the text exposition format (version 0.0.4), without a client library:
 * requests by listener, route and status, a latency histogram by route, store errors, and the
 * store's size. Route labels are a fixed set (never the raw path), so cardinality stays bounded.
 */

/** Latency histogram buckets, in seconds. */
const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

/** The route label of a path: one of a fixed set. */
export function routeLabel(path: string | null): string {
  if (path === null) return 'other';
  if (/^\/experiments\/[^/]+$/.test(path)) return '/experiments/:name';
  if (/^\/_admin\/experiments\/[^/]+$/.test(path)) return '/_admin/experiments/:name';
  if (/^\/_admin\/dashboard(\/.*)?$/.test(path)) return '/_admin/dashboard';
  const known = ['/', '/favicon.ico', '/participate', '/convert', '/_status', '/experiments.json', '/_admin/experiments', '/metrics', '/healthz', '/readyz'];
  return known.includes(path) ? path : 'other';
}

/** What a scrape reads from the store at that moment. */
export interface StoreGauges {
  experiments: number;
  /** Redis `used_memory`, when the store is Redis. */
  usedMemoryBytes?: number;
}

const escapeLabel = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
const labels = (pairs: Record<string, string>) =>
  `{${Object.entries(pairs).map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',')}}`;

interface Histogram {
  counts: number[];
  sum: number;
  count: number;
}

/** The server's counters; `render` writes them with the store gauges of the moment. */
export class Metrics {
  private readonly requests = new Map<string, number>();
  private readonly latency = new Map<string, Histogram>();
  private storeErrors = 0;

  /** One answered request. */
  observe(listener: string, route: string, status: number, seconds: number): void {
    const key = JSON.stringify([listener, route, String(status)]);
    this.requests.set(key, (this.requests.get(key) ?? 0) + 1);
    let h = this.latency.get(route);
    if (!h) this.latency.set(route, (h = { counts: BUCKETS.map(() => 0), sum: 0, count: 0 }));
    BUCKETS.forEach((bound, i) => {
      if (seconds <= bound) (h as Histogram).counts[i]!++;
    });
    h.sum += seconds;
    h.count++;
  }

  /** One request that failed because the store (Redis) was unavailable. */
  storeError(): void {
    this.storeErrors++;
  }

  render(gauges: StoreGauges | null): string {
    const out: string[] = [
      '# HELP splitflap_http_requests_total Requests answered, by listener, route and status.',
      '# TYPE splitflap_http_requests_total counter',
    ];
    for (const [key, n] of this.requests) {
      const [listener, route, status] = JSON.parse(key) as [string, string, string];
      out.push(`splitflap_http_requests_total${labels({ listener, route, status })} ${n}`);
    }
    out.push('# HELP splitflap_http_request_duration_seconds Time to answer, by route.', '# TYPE splitflap_http_request_duration_seconds histogram');
    for (const [route, h] of this.latency) {
      BUCKETS.forEach((bound, i) => out.push(`splitflap_http_request_duration_seconds_bucket${labels({ route, le: String(bound) })} ${h.counts[i]}`));
      out.push(`splitflap_http_request_duration_seconds_bucket${labels({ route, le: '+Inf' })} ${h.count}`);
      out.push(`splitflap_http_request_duration_seconds_sum${labels({ route })} ${h.sum}`);
      out.push(`splitflap_http_request_duration_seconds_count${labels({ route })} ${h.count}`);
    }
    out.push('# HELP splitflap_store_errors_total Requests that failed because the store (Redis) was unavailable.', '# TYPE splitflap_store_errors_total counter');
    out.push(`splitflap_store_errors_total ${this.storeErrors}`);
    out.push('# HELP splitflap_store_up Whether the store answered this scrape.', '# TYPE splitflap_store_up gauge');
    out.push(`splitflap_store_up ${gauges ? 1 : 0}`);
    if (gauges) {
      out.push('# HELP splitflap_experiments Experiments in the store.', '# TYPE splitflap_experiments gauge', `splitflap_experiments ${gauges.experiments}`);
      if (gauges.usedMemoryBytes !== undefined) {
        out.push('# HELP splitflap_redis_used_memory_bytes Redis used_memory.', '# TYPE splitflap_redis_used_memory_bytes gauge');
        out.push(`splitflap_redis_used_memory_bytes ${gauges.usedMemoryBytes}`);
      }
    }
    return `${out.join('\n')}\n`;
  }
}
