// One informer per (resource, namespace, selectors), shared by every controller of the process and started once.
import type { ApiClient } from './client.ts';
import { Informer, type InformerOptions } from './informer.ts';
import type { ListWatchOptions } from './reflector.ts';
import { collectionPath, type KubeObject, type ResourceType } from './types.ts';

/** Settings every informer of the factory gets (tests shorten the timings). */
export type FactoryOptions = Omit<InformerOptions<KubeObject>, keyof ListWatchOptions | 'indexers'>;

/**
 * Hands out shared informers. Guarantees: asking twice for the same resource path and selectors
 * returns the same informer (so each collection is listed and watched once per process);
 * informers asked for after `start()` start at once; `shutdown()` stops them all.
 */
export class SharedInformerFactory {
  readonly #client: ApiClient;
  readonly #opts: FactoryOptions;
  readonly #informers = new Map<string, Informer<KubeObject>>();
  #started = false;

  constructor(client: ApiClient, opts: FactoryOptions = {}) {
    this.#client = client;
    this.#opts = opts;
  }

  /** The shared informer of `rt` (all namespaces unless `opts.namespace`). */
  informerOf<T extends KubeObject>(rt: ResourceType<T>, opts: ListWatchOptions = {}): Informer<T> {
    const id = `${collectionPath(rt, opts.namespace)}?l=${opts.labelSelector ?? ''}&f=${opts.fieldSelector ?? ''}`;
    let informer = this.#informers.get(id) as Informer<T> | undefined;
    if (!informer) {
      informer = new Informer<T>(this.#client, rt, { ...(this.#opts as InformerOptions<T>), ...opts });
      this.#informers.set(id, informer as unknown as Informer<KubeObject>);
      if (this.#started) informer.start();
    }
    return informer;
  }

  /** Starts every informer made so far and every one made later. */
  start(): void {
    this.#started = true;
    for (const informer of this.#informers.values()) informer.start();
  }

  /** Resolves true once every informer made so far has synced, false if `signal` aborts first. */
  async waitForCacheSync(signal?: AbortSignal): Promise<boolean> {
    const results = await Promise.all([...this.#informers.values()].map((i) => i.waitForSync(signal)));
    return results.every(Boolean);
  }

  async shutdown(): Promise<void> {
    await Promise.all([...this.#informers.values()].map((i) => i.stop()));
  }
}
