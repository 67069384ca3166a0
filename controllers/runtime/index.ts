// The controller runtime's public surface: one import for every controller.
export * from './types.ts';
export * from './client.ts';
export * from './workqueue.ts';
export * from './store.ts';
export * from './reflector.ts';
export * from './informer.ts';
export * from './factory.ts';
export * from './expectations.ts';
export * from './events.ts';
export * from './leader-election.ts';
export * from './controller.ts';
export { Backoff, sleep } from './backoff.ts';
