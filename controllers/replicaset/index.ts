// Registration of the ReplicaSet and ReplicationController controllers (one reconciler, two kinds).
import type { ControllerContext } from '../manager.ts';
import { REPLICA_SET, REPLICATION_CONTROLLER, registerReplicaController } from './controller.ts';

/** kube-controller-manager's "replicaset" controller. */
export function registerReplicaSet(ctx: ControllerContext): void {
  registerReplicaController(ctx, REPLICA_SET);
}

/** kube-controller-manager's "replicationcontroller" controller. */
export function registerReplicationController(ctx: ControllerContext): void {
  registerReplicaController(ctx, REPLICATION_CONTROLLER);
}
