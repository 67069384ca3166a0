// authentication.k8s.io/v1 and authorization.k8s.io/v1 review kinds: create-only, never stored (see server/http/reviews.ts).
import type { ResourceDef } from './types.ts';

const createOnly = ['create'] as const;

function review(group: string, kind: string, plural: string, namespaced = false): ResourceDef {
  return { group, version: 'v1', kind, plural, singular: plural.replace(/s$/, ''), namespaced, verbs: createOnly };
}

export const tokenreviews = review('authentication.k8s.io', 'TokenReview', 'tokenreviews');
export const selfsubjectreviews = review('authentication.k8s.io', 'SelfSubjectReview', 'selfsubjectreviews');
export const localsubjectaccessreviews = review('authorization.k8s.io', 'LocalSubjectAccessReview', 'localsubjectaccessreviews', true);
export const selfsubjectaccessreviews = review('authorization.k8s.io', 'SelfSubjectAccessReview', 'selfsubjectaccessreviews');
export const selfsubjectrulesreviews = review('authorization.k8s.io', 'SelfSubjectRulesReview', 'selfsubjectrulesreviews');
export const subjectaccessreviews = review('authorization.k8s.io', 'SubjectAccessReview', 'subjectaccessreviews');

export const authReviewResources: readonly ResourceDef[] = [
  selfsubjectreviews,
  tokenreviews,
  localsubjectaccessreviews,
  selfsubjectaccessreviews,
  selfsubjectrulesreviews,
  subjectaccessreviews,
];
