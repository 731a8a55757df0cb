export { scanShare, ShareMissingError, ShareUnreadableError } from './scan-share.js';
export type { ScanOptions, ScanProgress, ScanResult, SkippedEntry, SkipReason } from './scan-share.js';
