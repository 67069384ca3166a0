// The admission plugin contract: mutate then validate, on creates, updates and deletes made through the API.
import type { KubeObject, ResourceDef } from '../../registry/types.ts';
import type { UserInfo } from '../types.ts';

export type Operation = 'CREATE' | 'UPDATE' | 'DELETE';

export interface AdmissionAttributes {
  operation: Operation;
  def: ResourceDef;
  namespace: string;
  name: string;
  /** '' for the main resource, or status, scale, binding … */
  subresource: string;
  /** The object written; on DELETE the stored object (the same as oldObject). */
  object: KubeObject;
  oldObject?: Readonly<KubeObject>;
  user: UserInfo;
  dryRun: boolean;
}

export interface AdmissionPlugin {
  name: string;
  /** The operations the plugin is asked about (upstream's Handles); CREATE and UPDATE when absent. */
  operations?: readonly Operation[];
  /** May change attrs.object; throws an ApiError to reject. */
  mutate?(attrs: AdmissionAttributes): Promise<void> | void;
  /** Must not change anything; throws an ApiError to reject. The only phase a DELETE goes through. */
  validate?(attrs: AdmissionAttributes): Promise<void> | void;
}
