// The namespace controller's public surface.
export { registerNamespace } from './controller.ts';
