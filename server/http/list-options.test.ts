// Field label policies come from the catalogue's declarations and match upstream's core/v1 conversions.
import { describe, expect, it } from 'vitest';
import { buildListFilter, fieldLabelPolicy } from './list-options.ts';
import { namespaces, nodes } from '../registry/cluster.ts';
import { configmaps, secrets } from '../registry/config.ts';
import { coreEvents } from '../registry/events.ts';
import { pods } from '../registry/pods.ts';
import { replicationcontrollers } from '../registry/replication.ts';
import { services } from '../registry/services.ts';
import type { KubeObject, ResourceDef } from '../registry/types.ts';

// Upstream's lists (k8s.io/kubernetes/pkg/apis/core/v1/conversion.go); spec.host is Pod's legacy alias.
const CORE_V1: readonly [string, ResourceDef, readonly string[]][] = [
  [
    'Pod',
    pods,
    [
      'metadata.name',
      'metadata.namespace',
      'spec.nodeName',
      'spec.restartPolicy',
      'spec.schedulerName',
      'spec.serviceAccountName',
      'spec.hostNetwork',
      'status.phase',
      'status.podIP',
      'status.podIPs',
      'status.nominatedNodeName',
      'spec.host',
    ],
  ],
  ['Node', nodes, ['metadata.name', 'spec.unschedulable']],
  ['ReplicationController', replicationcontrollers, ['metadata.name', 'metadata.namespace', 'status.replicas']],
  [
    'Event',
    coreEvents,
    [
      'involvedObject.kind',
      'involvedObject.namespace',
      'involvedObject.name',
      'involvedObject.uid',
      'involvedObject.apiVersion',
      'involvedObject.resourceVersion',
      'involvedObject.fieldPath',
      'reason',
      'reportingComponent',
      'source',
      'type',
      'metadata.namespace',
      'metadata.name',
    ],
  ],
  ['Namespace', namespaces, ['status.phase', 'metadata.name']],
  ['Secret', secrets, ['type', 'metadata.namespace', 'metadata.name']],
  ['Service', services, ['metadata.namespace', 'metadata.name', 'spec.clusterIP', 'spec.type']],
];

describe('fieldLabelPolicy', () => {
  it.each(CORE_V1)('accepts exactly upstream’s %s labels', (_kind, def, labels) => {
    const policy = fieldLabelPolicy(def);
    expect([...policy.supported].sort()).toEqual([...labels].sort());
    expect(policy.unsupported?.('foo')).toBe('field label not supported: foo');
  });

  it('gives kinds without declared field selectors the default conversion', () => {
    expect(fieldLabelPolicy(configmaps).supported).toEqual(['metadata.name', 'metadata.namespace']);
    expect(fieldLabelPolicy(configmaps).unsupported).toBeUndefined();
  });
});

describe('buildListFilter', () => {
  const pod = (name: string, nodeName: string): KubeObject => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'ns' },
    spec: { nodeName },
  });

  it('rejects metadata.namespace on nodes with upstream text', () => {
    expect(() => buildListFilter(nodes, new URLSearchParams({ fieldSelector: 'metadata.namespace=x' }))).toThrow(
      'field label not supported: metadata.namespace',
    );
  });

  it('matches pods by the legacy spec.host label as spec.nodeName', () => {
    const { filter } = buildListFilter(pods, new URLSearchParams({ fieldSelector: 'spec.host=n1' }));
    expect(filter?.(pod('a', 'n1'))).toBe(true);
    expect(filter?.(pod('b', 'n2'))).toBe(false);
  });
});
