// GET/LIST of metrics.k8s.io/v1beta1 nodes and pods: scrapes the kubelets' /stats/summary (cached briefly) and answers as metrics-server.
import * as errors from '../http/errors.ts';
import { buildListFilter } from '../http/list-options.ts';
import { negotiateRendering } from '../http/negotiate.ts';
import { writeRendered } from '../http/respond.ts';
import { partialObjectMetadata, toTable } from '../http/table.ts';
import type { ResourceContext } from '../http/resources.ts';
import { kubeletRequest } from '../http/pod-streams.ts';
import { nodes } from '../registry/cluster.ts';
import { pods } from '../registry/pods.ts';
import type { GenericStore } from '../registry/store.ts';
import type { KubeObject, ResourceDef } from '../registry/types.ts';
import { METRICS_API_VERSION, nodeMetricsOf, podMetricsOf, type KubeletSummary } from './convert.ts';

/** Our kubelets average CPU over their sampling period (kubelet/stats.ts SAMPLE_PERIOD_MS): that is the window. */
const WINDOW_MS = 10_000;
/** A scrape is reused this long, so a burst of `kubectl top` calls asks each kubelet once. */
const CACHE_MS = 5_000;
/** A kubelet that has not answered by then is skipped, as metrics-server skips an unreachable node. */
const SCRAPE_TIMEOUT_MS = 5_000;
const MAX_SUMMARY_BYTES = 16 * 1024 * 1024;

/** Fetches and caches kubelet Summaries; a failed or slow kubelet yields undefined (never an error). */
export class SummaryScraper {
  readonly #store: GenericStore;
  readonly #fetch: (nodeName: string) => Promise<KubeletSummary>;
  readonly #cache = new Map<string, { at: number; summary: Promise<KubeletSummary | undefined> }>();

  constructor(store: GenericStore, fetch?: (nodeName: string) => Promise<KubeletSummary>) {
    this.#store = store;
    this.#fetch = fetch ?? ((n) => this.#fetchSummary(n));
  }

  /** The node's Summary, at most CACHE_MS old, or undefined when its kubelet did not answer in SCRAPE_TIMEOUT_MS. */
  summary(nodeName: string): Promise<KubeletSummary | undefined> {
    const now = Date.now();
    const hit = this.#cache.get(nodeName);
    if (hit && now - hit.at < CACHE_MS) return hit.summary;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), SCRAPE_TIMEOUT_MS);
      timer.unref();
    });
    const summary = Promise.race([this.#fetch(nodeName).catch(() => undefined), timeout]).finally(() => clearTimeout(timer));
    this.#cache.set(nodeName, { at: now, summary });
    for (const [k, v] of this.#cache) if (now - v.at >= CACHE_MS) this.#cache.delete(k);
    return summary;
  }

  async #fetchSummary(nodeName: string): Promise<KubeletSummary> {
    const res = await kubeletRequest(this.#store, nodeName, 'GET', '/stats/summary', { Accept: 'application/json' });
    // The answer may come after we gave up on it: never leave its socket open.
    const giveUp = setTimeout(() => res.destroy(), SCRAPE_TIMEOUT_MS);
    giveUp.unref();
    try {
      if (res.statusCode !== 200) throw new Error(`kubelet answered ${res.statusCode}`);
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const c of res) {
        size += (c as Buffer).length;
        if (size > MAX_SUMMARY_BYTES) throw new Error('summary too large');
        chunks.push(c as Buffer);
      }
      return JSON.parse(Buffer.concat(chunks).toString('utf8')) as KubeletSummary;
    } finally {
      clearTimeout(giveUp);
      res.destroy();
    }
  }
}

const scrapers = new WeakMap<GenericStore, SummaryScraper>();

function scraperOf(store: GenericStore): SummaryScraper {
  let s = scrapers.get(store);
  if (!s) scrapers.set(store, (s = new SummaryScraper(store)));
  return s;
}

/** metrics-server's NotFound for an object that exists but has no metrics: `podmetrics.metrics.k8s.io "ns/x" not found`. */
function noMetrics(def: ResourceDef, name: string): errors.ApiError {
  return errors.notFound({ group: def.group, plural: def.kind.toLowerCase() }, name);
}

/** metrics-server reads nodes through client-go's typed lister, whose NotFound names the resource `node`. */
function nodeListerNotFound(name: string): (e: unknown) => never {
  return (e) => {
    if (e instanceof errors.ApiError && e.code === 404) throw errors.notFound({ group: '', plural: 'node' }, name);
    throw e;
  };
}

function nodeNameOf(pod: Readonly<KubeObject>): string {
  return ((pod.spec ?? {}) as { nodeName?: string }).nodeName ?? '';
}

/** NodeMetrics of the given nodes, scraped in parallel; nodes without metrics are left out. Sorted by name. */
export async function nodeMetricsFor(scraper: SummaryScraper, list: readonly KubeObject[], now = new Date()): Promise<KubeObject[]> {
  const out = await Promise.all(list.map(async (n) => {
    const s = await scraper.summary(n.metadata.name ?? '');
    return s ? nodeMetricsOf(n, s, WINDOW_MS, now) : undefined;
  }));
  return out.filter((m): m is KubeObject => !!m).sort((a, b) => ((a.metadata.name ?? '') < (b.metadata.name ?? '') ? -1 : 1));
}

/** PodMetrics of the given pods (each node scraped once); pods without metrics are left out. Sorted by namespace, name. */
export async function podMetricsFor(scraper: SummaryScraper, list: readonly KubeObject[], now = new Date()): Promise<KubeObject[]> {
  const byNode = new Map<string, KubeObject[]>();
  for (const p of list) {
    const n = nodeNameOf(p);
    if (!n) continue;
    if (!byNode.has(n)) byNode.set(n, []);
    byNode.get(n)!.push(p);
  }
  const out: KubeObject[] = [];
  await Promise.all([...byNode].map(async ([node, podsOnNode]) => {
    const s = await scraper.summary(node);
    if (!s) return;
    for (const p of podsOnNode) {
      const m = podMetricsOf(p, s, WINDOW_MS, now);
      if (m) out.push(m);
    }
  }));
  const key = (o: KubeObject): string => `${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`;
  return out.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

function respond(ctx: ResourceContext, objects: KubeObject[], single: boolean): void {
  const r = negotiateRendering(ctx.req.headers.accept, ctx.query.get('includeObject'));
  if (r.as === 'Table') {
    writeRendered(ctx.res, 200, toTable(ctx.def, objects, r.includeObject, {}), { as: 'object', format: 'json' });
    return;
  }
  if (single) {
    const obj = objects[0]!;
    writeRendered(ctx.res, 200, r.as === 'object' ? obj : partialObjectMetadata(obj), r.as === 'object' ? r : { as: 'object', format: 'json' });
    return;
  }
  // Typed lists carry no apiVersion/kind on their items.
  const items = objects.map(({ apiVersion: _a, kind: _k, ...rest }) => rest);
  const list = { kind: `${ctx.def.kind}List`, apiVersion: METRICS_API_VERSION, metadata: {}, items };
  writeRendered(ctx.res, 200, list, r.as === 'object' ? r : { as: 'object', format: 'json' });
}

/**
 * Serves one metrics.k8s.io request (get or list; every other verb is 405, as upstream's read-only storage).
 * A missing node or pod is the core NotFound; one without metrics is NotFound of nodemetrics/podmetrics, which
 * kubectl top reports as upstream does. Selectors apply to the Nodes and Pods, as metrics-server applies them.
 */
export async function handleMetrics(ctx: ResourceContext): Promise<void> {
  const { info, def, store, query } = ctx;
  if (info.subresource) throw errors.pathNotFound();
  if (info.verb !== 'get' && info.verb !== 'list') throw errors.methodNotAllowed();
  const scraper = scraperOf(store);
  const isNodes = def.plural === 'nodes';
  if (info.verb === 'get') {
    const obj = isNodes ? await store.get(nodes, '', info.name).catch(nodeListerNotFound(info.name)) : await store.get(pods, info.namespace, info.name);
    const found = isNodes ? await nodeMetricsFor(scraper, [obj]) : await podMetricsFor(scraper, [obj]);
    if (found.length === 0) throw noMetrics(def, isNodes ? info.name : `${info.namespace}/${info.name}`);
    respond(ctx, found, true);
    return;
  }
  const { filter, hasSelector } = buildListFilter(def, query);
  const page = await store.list(isNodes ? nodes : pods, isNodes ? '' : info.namespace, { filter, hasSelector });
  respond(ctx, isNodes ? await nodeMetricsFor(scraper, page.items) : await podMetricsFor(scraper, page.items), false);
}
