// The admission plugin contract: mutate then validate, on creates and updates made through the API.
import type { KubeObject, ResourceDef } from '../../registry/types.ts';
import type { UserInfo } from '../types.ts';

export type Operation = 'CREATE' | 'UPDATE';

export interface AdmissionAttributes {
  operation: Operation;
  def: ResourceDef;
  namespace: string;
  name: string;
  /** '' for the main resource, or status, scale, binding … */
  subresource: string;
  object: KubeObject;
  oldObject?: Readonly<KubeObject>;
  user: UserInfo;
  dryRun: boolean;
}

export interface AdmissionPlugin {
  name: string;
  /** May change attrs.object; throws an ApiError to reject. */
  mutate?(attrs: AdmissionAttributes): Promise<void> | void;
  /** Must not change anything; throws an ApiError to reject. */
  validate?(attrs: AdmissionAttributes): Promise<void> | void;
}
