export * from './routes.js';
export * from './batch-frame.js';
