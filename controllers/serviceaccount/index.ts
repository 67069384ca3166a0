// The service account and root CA publisher controllers' public surface.
export { registerServiceAccount, registerRootCACertPublisher } from './controller.ts';
