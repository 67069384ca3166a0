// The core (legacy, `/api/v1`) group's resources, in upstream's discovery order (alphabetical by resource).
import type { ResourceDef } from './types.ts';
import { configmaps, secrets, serviceaccounts } from './config.ts';
import { endpoints, services } from './services.ts';
import { coreEvents } from './events.ts';
import { limitranges, resourcequotas } from './quota.ts';
import { namespaces, nodes } from './cluster.ts';
import { persistentvolumeclaims, persistentvolumes } from './volumes.ts';
import { pods } from './pods.ts';
import { podtemplates, replicationcontrollers } from './replication.ts';

export const coreResources: readonly ResourceDef[] = [
  configmaps,
  endpoints,
  coreEvents,
  limitranges,
  namespaces,
  nodes,
  persistentvolumeclaims,
  persistentvolumes,
  pods,
  podtemplates,
  replicationcontrollers,
  resourcequotas,
  secrets,
  serviceaccounts,
  services,
];
