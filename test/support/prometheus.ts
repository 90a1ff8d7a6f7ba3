import { readFileSync } from 'node:fs';

/** One query a Grafana dashboard sends: a panel target's PromQL or a variable's label_values(). */
export interface DashboardQuery {
  where: string;
  /** PromQL with Grafana's variables replaced as Grafana would for "All" over the last hour. */
  expr?: string;
  /** A `label_values(metric, label)` variable: the label asked for, over the series of `match`. */
  labelValues?: { match: string; label: string };
}

interface Panel {
  title?: string;
  targets?: { expr?: string; refId?: string }[];
  panels?: Panel[];
}

/** Grafana's built-in and this dashboard's variables, as Grafana fills them in (cluster = All). */
const VARIABLES: Record<string, string> = {
  __rate_interval: '1m',
  __interval: '15s',
  __range: '1h',
  cluster: '.*',
};

function substitute(expr: string): string {
  return expr.replace(/\$\{?(\w+)\}?/g, (whole, name: string) => {
    const value = VARIABLES[name];
    if (value === undefined) {
      throw new Error(`dashboard query uses $${name}, which the test does not know: ${expr}`);
    }
    return value;
  });
}

/** Every query in a dashboard JSON file: panel targets (rows included) and query variables. */
export function dashboardQueries(file: string): DashboardQuery[] {
  const dashboard = JSON.parse(readFileSync(file, 'utf8')) as {
    panels: Panel[];
    templating?: { list: { name: string; type: string; definition?: string }[] };
  };
  const out: DashboardQuery[] = [];
  const walk = (panels: Panel[]): void => {
    for (const p of panels) {
      for (const t of p.targets ?? []) {
        if (t.expr !== undefined) {
          out.push({ where: `panel "${p.title ?? '?'}" ${t.refId ?? ''}`.trim(), expr: substitute(t.expr) });
        }
      }
      walk(p.panels ?? []);
    }
  };
  walk(dashboard.panels);
  for (const v of dashboard.templating?.list ?? []) {
    if (v.type !== 'query') {
      continue;
    }
    const m = /^label_values\(\s*(.+?)\s*,\s*(\w+)\s*\)$/.exec(v.definition ?? '');
    if (m === null) {
      throw new Error(`variable ${v.name}: only label_values(metric, label) is understood, got ${v.definition}`);
    }
    out.push({ where: `variable ${v.name}`, labelValues: { match: m[1] as string, label: m[2] as string } });
  }
  return out;
}

export interface PromTarget {
  labels: Record<string, string>;
  health: string;
  lastError: string;
  scrapeUrl: string;
}

/** Prometheus's HTTP API (what Grafana's Prometheus data source calls). */
export class PrometheusApi {
  constructor(readonly baseUrl: string) {}

  private async get<T>(path: string, params: Record<string, string> = {}): Promise<T> {
    const url = new URL(path, this.baseUrl);
    for (const [k, v] of Object.entries(params)) {
      url.searchParams.set(k, v);
    }
    const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
    const body = (await res.json()) as { status: string; data: T; error?: string; errorType?: string };
    if (!res.ok || body.status !== 'success') {
      throw new Error(`Prometheus ${path} ${JSON.stringify(params)}: ${res.status} ${body.errorType}: ${body.error}`);
    }
    return body.data;
  }

  async activeTargets(): Promise<PromTarget[]> {
    return (await this.get<{ activeTargets: PromTarget[] }>('/api/v1/targets')).activeTargets;
  }

  /** Runs a dashboard query; the number of series or values it returned (0: no data yet). */
  async run(q: DashboardQuery): Promise<number> {
    if (q.expr !== undefined) {
      const data = await this.get<{ resultType: string; result: unknown[] }>('/api/v1/query', { query: q.expr });
      return data.result.length;
    }
    const { match, label } = q.labelValues as { match: string; label: string };
    return (await this.get<string[]>(`/api/v1/label/${label}/values`, { 'match[]': match })).length;
  }
}
