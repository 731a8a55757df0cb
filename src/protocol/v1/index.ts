export * from './routes.js';
export type * from './route-types.js';
export * from './batch-frame.js';
export * from './batch-parser.js';
export * from './hash-trailer.js';
