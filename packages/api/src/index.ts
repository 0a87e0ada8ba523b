// @lodge/api: LXD-compatible wire types shared by the daemon, the client and the CLI.
export * from './status.js';
export * from './error.js';
export * from './response.js';
export * from './operation.js';
export * from './event.js';
export * from './extensions.js';
export * from './server.js';
export * from './image.js';
export * from './profile.js';
export * from './project.js';
export * from './storage.js';
export * from './resources.js';
export * from './instance.js';
export * from './certificate.js';
export * from './network.js';
export * from './time.js';
