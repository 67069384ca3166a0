// Maps an owner reference's apiVersion + kind to a served resource: the known list first, then API discovery (cached).
import { isNotFound, resourceType, type ApiClient, type ResourceType } from '../runtime/index.ts';

interface APIResourceList {
  resources?: Array<{ name: string; kind: string; namespaced: boolean }>;
}

/** A small REST mapper. Guarantees: answers from memory after the first discovery of a group/version; an unknown kind resolves to undefined. */
export class ResourceResolver {
  readonly #client: ApiClient;
  readonly #known = new Map<string, ResourceType>();
  readonly #discovered = new Map<string, Promise<Map<string, ResourceType>>>();

  constructor(client: ApiClient, known: readonly ResourceType[]) {
    this.#client = client;
    for (const rt of known) this.#known.set(`${rt.group ? `${rt.group}/${rt.version}` : rt.version}|${rt.kind}`, rt);
  }

  async resolve(apiVersion: string, kind: string): Promise<ResourceType | undefined> {
    const hit = this.#known.get(`${apiVersion}|${kind}`);
    if (hit) return hit;
    let pending = this.#discovered.get(apiVersion);
    if (!pending) {
      pending = this.#discover(apiVersion);
      this.#discovered.set(apiVersion, pending);
      // A failed discovery is retried next time instead of being remembered.
      pending.catch(() => this.#discovered.delete(apiVersion));
    }
    return (await pending).get(kind);
  }

  async #discover(apiVersion: string): Promise<Map<string, ResourceType>> {
    const path = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
    const out = new Map<string, ResourceType>();
    try {
      const list = await this.#client.request<APIResourceList>('GET', path);
      for (const r of list.resources ?? []) {
        if (r.name.includes('/')) continue;
        out.set(r.kind, resourceType(apiVersion, r.kind, r.name, r.namespaced));
      }
    } catch (e: unknown) {
      if (!isNotFound(e)) throw e;
    }
    return out;
  }
}
