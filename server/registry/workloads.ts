// Rules shared by the controllers' resources (deployments, replica sets, stateful sets, daemon sets, jobs, RCs).
import type { Column, FieldError, KubeObject } from './types.ts';
import { get, obj, str } from './object.ts';
import { containerColumns, stringColumn } from './columns.ts';
import { isEmptySelector, formatLabelSelector, selectorMatches, validateLabelSelector } from './selector.ts';
import { templateLabels, validatePodTemplateSpec } from './podspec-validation.ts';
import { fp, forbidden, goLabelSelector, goStringMap, GoText, invalid, notSupported, required } from './validation.ts';

export const SELECTOR_MISMATCH = '`selector` does not match template `labels`';

export interface SelectorRules {
  /** The word in `empty selector is invalid for <kind>` (upstream says `deployment` for replica sets too). */
  kindWord: string;
  /** A missing selector is reported as Required (all but daemon sets). */
  requireSelector: boolean;
}

/**
 * The selector / template pair of a workload spec at `field`: selector required and non-empty, valid, and
 * matching the template's labels (a missing selector matches nothing, as upstream's labels.Nothing()).
 */
export function validateSelectorAndTemplate(spec: unknown, field: string, rules: SelectorRules): FieldError[] {
  const errs: FieldError[] = [];
  const selector = get(spec, 'selector');
  const template = get(spec, 'template');
  if (selector === undefined || selector === null) {
    if (rules.requireSelector) errs.push(required(fp(field, 'selector')));
  } else {
    errs.push(...validateLabelSelector(selector, fp(field, 'selector')));
    if (isEmptySelector(selector)) errs.push(invalid(fp(field, 'selector'), new GoText(goLabelSelector(selector)), `empty selector is invalid for ${rules.kindWord}`));
  }
  if (obj(template) && (selector === undefined || selector === null || !isEmptySelector(selector))) {
    const labels = templateLabels(template);
    if (!selectorMatches(selector, labels)) errs.push(invalid(fp(field, 'template', 'metadata', 'labels'), new GoText(goStringMap(labels)), SELECTOR_MISMATCH));
  }
  return errs;
}

/** The template itself plus the restart policy a controller of long-running pods needs (`Always`). */
export function validateLongRunningTemplate(spec: unknown, field: string, kind: string, adsInvalid: boolean): FieldError[] {
  const template = get(spec, 'template');
  if (!obj(template)) return [required(fp(field, 'template'))];
  const errs = validatePodTemplateSpec(template, fp(field, 'template'));
  const restart = str(get(template, 'spec.restartPolicy'));
  if (restart !== 'Always') errs.push(notSupported(fp(field, 'template', 'spec', 'restartPolicy'), restart, ['Always']));
  const ads = get(template, 'spec.activeDeadlineSeconds');
  if (ads !== undefined && ads !== null) {
    const message = `activeDeadlineSeconds in ${kind} is not Supported`;
    errs.push(adsInvalid ? invalid(fp(field, 'template', 'spec', 'activeDeadlineSeconds'), ads, message) : forbidden(fp(field, 'template', 'spec', 'activeDeadlineSeconds'), message));
  }
  return errs;
}

/** ValidateImmutableField for a label selector (printed as Go prints a v1.LabelSelector). */
export function immutableSelector(obj1: Readonly<KubeObject>, old: Readonly<KubeObject>, path = 'spec.selector'): FieldError[] {
  const next = get(obj1, path);
  const prev = get(old, path);
  if (JSON.stringify(next ?? null) === JSON.stringify(prev ?? null)) return [];
  return [invalid(path, new GoText(goLabelSelector(next)), 'field is immutable')];
}

/** CONTAINERS, IMAGES and SELECTOR wide columns of a workload with `spec.template` and `spec.selector`. */
export function templateWideColumns(selectorDescription: string, podSpecPath = 'spec.template.spec', selectorPath = 'spec.selector'): Column[] {
  return [
    ...containerColumns(podSpecPath),
    stringColumn('Selector', selectorDescription, 1, (o) => formatLabelSelector(get(o, selectorPath))),
  ];
}
