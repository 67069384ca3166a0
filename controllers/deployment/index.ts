// The Deployment controller's public surface.
export { registerDeployment } from './controller.ts';
