// The garbage collector's public surface.
export { registerGarbageCollector } from './collector.ts';
