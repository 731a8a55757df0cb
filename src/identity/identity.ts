import { X509Certificate, createPrivateKey } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** This server's TLS identity: peers pin `fingerprint` and identify us by it. */
export interface ServerIdentity {
  certPem: string;
  keyPem: string;
  /** SHA-256 of the certificate's DER bytes, as `AB:CD:…` (64 hex digits). */
  fingerprint: string;
  /** Where the pair came from, for the start-up log. */
  origin: 'generated' | 'loaded' | 'custom';
}

export class IdentityError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'IdentityError';
  }
}

const CERT_FILE = 'server.crt';
const KEY_FILE = 'server.key';
const VALIDITY_YEARS = 10;

export function certificateFingerprint(certPem: string): string {
  return new X509Certificate(certPem).fingerprint256;
}

/**
 * The custom certificate when both paths are given; otherwise the pair in
 * `certsDir`, generated on first start (EC P-256, valid ten years).
 */
export async function loadOrCreateIdentity(options: {
  /** Given and ANEMONE_PEER_PORT unset, this pair is the identity too (one port, one certificate). */
  certsDir: string;
  tlsCertPath?: string | undefined;
  tlsKeyPath?: string | undefined;
}): Promise<ServerIdentity> {
  if (options.tlsCertPath && options.tlsKeyPath) {
    return readPair(options.tlsCertPath, options.tlsKeyPath, 'custom');
  }
  const certPath = path.join(options.certsDir, CERT_FILE);
  const keyPath = path.join(options.certsDir, KEY_FILE);
  try {
    return await readPair(certPath, keyPath, 'loaded');
  } catch (error) {
    if (!isMissingFile(error)) throw error;
  }
  const generated = await generateSelfSigned();
  await mkdir(options.certsDir, { recursive: true, mode: 0o700 });
  // key before certificate: a crash in between leaves no certificate without its key
  await writeAtomically(keyPath, generated.keyPem, 0o600);
  await writeAtomically(certPath, generated.certPem, 0o644);
  return generated;
}

/**
 * A certificate and key given by the administrator (TLS_CERT_PATH, TLS_KEY_PATH), checked to
 * match: the UI's certificate when peers have their own port, read again when it is renewed.
 */
export function loadCertificatePair(certPath: string, keyPath: string): Promise<ServerIdentity> {
  return readPair(certPath, keyPath, 'custom');
}

/** Replace the stored identity (used when a server is rebuilt from its recovery kit). */
export async function saveIdentity(certsDir: string, identity: Pick<ServerIdentity, 'certPem' | 'keyPem'>): Promise<void> {
  await mkdir(certsDir, { recursive: true, mode: 0o700 });
  await writeAtomically(path.join(certsDir, KEY_FILE), identity.keyPem, 0o600);
  await writeAtomically(path.join(certsDir, CERT_FILE), identity.certPem, 0o644);
}

async function generateSelfSigned(): Promise<ServerIdentity> {
  const notBeforeDate = new Date();
  const notAfterDate = new Date(notBeforeDate);
  notAfterDate.setFullYear(notAfterDate.getFullYear() + VALIDITY_YEARS);
  // loaded for the first start alone: its certificate library is ~15 MB a running server would keep
  const { default: selfsigned } = await import('selfsigned');
  const pems = await selfsigned.generate([{ name: 'commonName', value: 'anemone' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate,
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyAgreement: true },
      // the same certificate serves HTTPS and identifies us as a client to peers
      { name: 'extKeyUsage', serverAuth: true, clientAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: 'localhost' },
          { type: 7, ip: '127.0.0.1' },
          { type: 7, ip: '::1' },
        ],
      },
    ],
  });
  return { certPem: pems.cert, keyPem: pems.private, fingerprint: certificateFingerprint(pems.cert), origin: 'generated' };
}

async function readPair(certPath: string, keyPath: string, origin: ServerIdentity['origin']): Promise<ServerIdentity> {
  const [certPem, keyPem] = await Promise.all([readFile(certPath, 'utf8'), readFile(keyPath, 'utf8')]);
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(certPem);
  } catch (cause) {
    throw new IdentityError(`${certPath} is not a PEM certificate; point TLS_CERT_PATH at a valid certificate.`, { cause });
  }
  try {
    if (!certificate.checkPrivateKey(createPrivateKey(keyPem))) {
      throw new IdentityError(`${keyPath} is not the private key of ${certPath}; give the matching pair.`);
    }
  } catch (cause) {
    if (cause instanceof IdentityError) throw cause;
    throw new IdentityError(`${keyPath} is not a PEM private key; point TLS_KEY_PATH at the certificate's key.`, { cause });
  }
  return { certPem, keyPem, fingerprint: certificate.fingerprint256, origin };
}

async function writeAtomically(filePath: string, text: string, mode: number): Promise<void> {
  const temporary = `${filePath}.tmp-${process.pid}`;
  await writeFile(temporary, text, { mode, flush: true });
  await rename(temporary, filePath);
}

function isMissingFile(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}
