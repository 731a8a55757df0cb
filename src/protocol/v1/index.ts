export * from './routes.js';
export * from './batch-frame.js';
export * from './hash-trailer.js';
