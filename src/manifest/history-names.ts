/**
 * The names of a peer's history on disk (docs/format.md, "History on a
 * peer"), shared by the peer that writes it and the offline reader
 * (`anemone decrypt --snapshot`), which has no database: the names alone
 * say which version or generation each file is.
 */

/** `<incomingDir>/<source>/.history/<user>/<share>/`: user names never start with a dot. */
export const HISTORY_FOLDER = '.history';
export const HISTORY_OBJECTS = 'objects';
export const HISTORY_MANIFESTS = 'manifests';
export const HISTORY_DELTAS = 'manifest.d';

/**
 * A kept object version, under `objects/`: named by its ciphertext SHA-256
 * (every encryption has its own salt, so it names exactly one version).
 */
export function versionFileName(ctSha256: string): string {
  return `${ctSha256.slice(0, 2)}/${ctSha256}.enc`;
}

/** A kept manifest or delta of generation g, under `manifests/` or `manifest.d/`; the id keeps two writes of g apart. */
export function keptManifestName(generation: number, id: string): string {
  return `${generation}-${id}.json.enc`;
}

/** The generation a kept manifest or delta's name says, or undefined for any other name. */
export function generationOfKeptName(name: string): number | undefined {
  const match = /^(\d{1,15})-[0-9a-f]+\.json\.enc$/.exec(name);
  return match ? Number(match[1]) : undefined;
}
