import type { z } from 'zod';
import type { SyncRouteName, syncRoutes } from './routes.js';

/**
 * Types derived from the protocol table, for both ends: the receiving
 * handlers (src/api/routes/sync-v1.ts) and the peer client take their
 * inputs and answers from here, so the table is the one source of truth.
 */
type Entry<K extends SyncRouteName> = (typeof syncRoutes)[K];

type Parsed<S> = S extends z.ZodType ? z.output<S> : undefined;

/** The path parameters of route `K` as validated (`undefined` when its path has none). */
export type RouteParams<K extends SyncRouteName> = Entry<K> extends { params: infer S } ? Parsed<S> : undefined;

/** The query of route `K` as validated (`undefined` when it takes none). */
export type RouteQuery<K extends SyncRouteName> = Entry<K> extends { query: infer S } ? Parsed<S> : undefined;

/** The query of route `K` as a sender writes it into the URL: every field a string. */
export type RouteQueryStrings<K extends SyncRouteName> = Entry<K> extends { query: infer S } ? (S extends z.ZodType ? { [F in keyof z.output<S>]: string } : undefined) : undefined;

/** The routes whose request body is JSON, and that body as the receiver gets it. */
export type JsonBodyRoute = { [K in SyncRouteName]: Entry<K>['body'] extends z.ZodType ? K : never }[SyncRouteName];
export type RouteJsonBody<K extends JsonBodyRoute> = z.output<Extract<Entry<K>['body'], z.ZodType>>;
/** The same body as a sender builds it. */
export type RouteJsonBodyInput<K extends JsonBodyRoute> = z.input<Extract<Entry<K>['body'], z.ZodType>>;

/** The routes whose request body is raw bytes (`bytes` or `stream`): the receiver reads it as a stream. */
export type UploadRoute = { [K in SyncRouteName]: Entry<K>['body'] extends 'bytes' | 'stream' ? K : never }[SyncRouteName];

/** The routes whose success answer is JSON, and that answer. */
export type JsonResponseRoute = { [K in SyncRouteName]: Entry<K>['response'] extends z.ZodType ? K : never }[SyncRouteName];
export type RouteJsonResponse<K extends JsonResponseRoute> = z.output<Extract<Entry<K>['response'], z.ZodType>>;
