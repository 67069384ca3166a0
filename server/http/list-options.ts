// labelSelector / fieldSelector query parameters → one predicate over stored objects, with upstream's 400 texts.
import * as errors from './errors.ts';
import { parseLabelSelector, formatLabelSelector, type LabelSelector } from '../selectors/labels.ts';
import {
  convertFieldLabels,
  DEFAULT_FIELD_LABEL_POLICY,
  fieldLabelNotSupported,
  parseFieldSelector,
  type FieldLabelPolicy,
} from '../selectors/fields.ts';
import { SelectorParseError } from '../selectors/errors.ts';
import type { KubeObject, ResourceDef } from '../registry/types.ts';

export interface ListFilter {
  filter?: (obj: KubeObject) => boolean;
  hasSelector: boolean;
}

/**
 * The field labels a kind accepts, read from its declaration (the catalogue is the only list): kinds without
 * declared field selectors get upstream's default conversion; the rest accept metadata.name, their declared
 * labels and, when namespaced, metadata.namespace (upstream's Node and Namespace conversions omit it).
 */
export function fieldLabelPolicy(def: Pick<ResourceDef, 'fieldSelectors' | 'namespaced'>): FieldLabelPolicy {
  if (!def.fieldSelectors) return DEFAULT_FIELD_LABEL_POLICY;
  const metadata = def.namespaced ? ['metadata.name', 'metadata.namespace'] : ['metadata.name'];
  return { supported: [...metadata, ...Object.keys(def.fieldSelectors)], unsupported: fieldLabelNotSupported };
}

/**
 * Compiles the selectors of a list/watch request. `name` (a watch on one object) adds metadata.name, as upstream
 * does for watches of a single resource. Resources that declare field selectors reject unknown labels with
 * "field label not supported"; the rest with upstream's generic "is not a known field selector" text.
 */
export function buildListFilter(def: ResourceDef, query: URLSearchParams, name?: string): ListFilter {
  try {
    const labels = parseLabelSelector(query.get('labelSelector') ?? '');
    const extractors = def.fieldSelectors ?? {};
    let fieldText = query.get('fieldSelector') ?? '';
    if (name) fieldText = fieldText ? `${fieldText},metadata.name=${name}` : `metadata.name=${name}`;
    const fields = convertFieldLabels(parseFieldSelector(fieldText), fieldLabelPolicy(def));
    if (labels.empty && fields.empty) return { hasSelector: false };
    const wanted = fields.requirements.map((r) => r.field);
    return {
      hasSelector: true,
      filter: (obj) => {
        if (!labels.empty && !labels.matches(obj.metadata.labels)) return false;
        if (fields.empty) return true;
        const values: Record<string, string> = {};
        for (const field of wanted) {
          if (field === 'metadata.name') values[field] = obj.metadata.name ?? '';
          else if (field === 'metadata.namespace') values[field] = obj.metadata.namespace ?? '';
          else values[field] = extractors[field]?.(obj) ?? '';
        }
        return fields.matches(values);
      },
    };
  } catch (e: unknown) {
    if (e instanceof SelectorParseError) throw errors.badRequest(e.message);
    throw e;
  }
}

/** A metav1.LabelSelector as the string form Scale.status.selector and kubectl use. */
export function labelSelectorToString(selector: Record<string, unknown>): string {
  return formatLabelSelector(selector as LabelSelector);
}
