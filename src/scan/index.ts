export { scanShare, ShareMissingError, ShareUnreadableError, UNHASHED } from './scan-share.js';
export type { ScanOptions, ScanProgress, ScanResult, SkippedEntry, SkipReason } from './scan-share.js';
