import { type FormEvent, useState } from 'react';
import { setupApi } from '../api/client';
import type { RebuildResult } from '../api/types';
import { formatCount } from '../lib/format';
import { formLevelError, rules, validate } from '../lib/validation';
import { Button } from './Button';
import { CheckboxField, TextField } from './Field';
import { ErrorNotice, Notice } from './Notice';
import { useFormSubmit } from './useFormSubmit';
import { Fingerprint } from './Fingerprint';

const DEFAULT_PORT = '8443';

/** A file's bytes as base64 (without the data: URL's prefix). */
function readAsBase64(file: File): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result).replace(/^data:[^,]*,/, ''));
    reader.onerror = () => reject(reader.error ?? new Error('unreadable'));
    reader.readAsDataURL(file);
  });
}

const passphraseRule = (value: string) => (value === '' ? 'Give the passphrase the kit was made with' : undefined);

/** The first way: the kit file and its passphrase. */
function FromKitFile({ onDone }: { onDone(result: RebuildResult): void }) {
  const [file, setFile] = useState<File>();
  const [passphrase, setPassphrase] = useState('');
  const { errors, setErrors, apiError, busy, submit: submitForm } = useFormSubmit();

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const found = validate({ kit: file ? undefined : 'Choose the recovery kit file', passphrase: passphraseRule(passphrase) });
    await submitForm(found, async () => {
      // found has no kit error, so a file was chosen
      if (!file) return;
      let kit: string;
      try {
        kit = await readAsBase64(file);
      } catch {
        setErrors({ kit: 'This file could not be read: choose it again' });
        return;
      }
      onDone(await setupApi.rebuild({ passphrase, kit }));
    });
  };

  return (
    <form onSubmit={(event) => void submit(event)} noValidate className="space-y-4" aria-label="Rebuild from the kit file">
      <ErrorNotice error={formLevelError(apiError, ['kit', 'passphrase'])} />
      <TextField
        label="Recovery kit file"
        name="kit"
        type="file"
        accept=".bin,application/octet-stream"
        onChange={(event) => setFile(event.target.files?.[0])}
        error={errors.kit}
        help="The file downloaded from Settings → Recovery kit, e.g. anemone-home-recovery-kit.bin."
      />
      <TextField
        label="Kit passphrase"
        name="passphrase"
        type="password"
        value={passphrase}
        onChange={(event) => setPassphrase(event.target.value)}
        error={errors.passphrase}
        autoComplete="off"
      />
      <Button type="submit" busy={busy} className="w-full">
        Rebuild from this kit
      </Button>
    </form>
  );
}

/** The second way: the copy a peer keeps, after comparing its fingerprint. */
function FromPeer({ onDone }: { onDone(result: RebuildResult): void }) {
  const [address, setAddress] = useState('');
  const [port, setPort] = useState(DEFAULT_PORT);
  const [discovered, setDiscovered] = useState<{ serverName: string; fingerprint: string; address: string; port: number }>();
  const [matches, setMatches] = useState(false);
  const [serverName, setServerName] = useState('');
  const [password, setPassword] = useState('');
  const [passphrase, setPassphrase] = useState('');
  const { errors, apiError, busy, submit: submitForm } = useFormSubmit();

  const discover = async (event: FormEvent) => {
    event.preventDefault();
    const found = validate({ address: rules.peerAddress(address), port: rules.port(port) });
    setDiscovered(undefined);
    setMatches(false);
    await submitForm(found, async () => {
      const peer = { address: address.trim(), port: Number(port) };
      setDiscovered({ ...(await setupApi.discoverPeer(peer)), ...peer });
    });
  };

  const rebuild = async (event: FormEvent) => {
    event.preventDefault();
    if (!discovered) return;
    const found = validate({
      matches: matches ? undefined : 'Compare the fingerprints first; go on only if they match',
      serverName: rules.serverName(serverName),
      'peer.password': rules.required(password),
      passphrase: passphraseRule(passphrase),
    });
    await submitForm(found, async () => {
      onDone(
        await setupApi.rebuild({
          passphrase,
          serverName,
          peer: { address: discovered.address, port: discovered.port, password, fingerprint: discovered.fingerprint },
        }),
      );
    });
  };

  if (!discovered) {
    return (
      <form onSubmit={(event) => void discover(event)} noValidate className="space-y-4" aria-label="Find the peer">
        <ErrorNotice error={formLevelError(apiError, ['address', 'port'])} />
        <TextField
          label="Peer address"
          name="address"
          value={address}
          onChange={(event) => setAddress(event.target.value)}
          error={errors.address}
          help="A peer this server synced to: it keeps a copy of the kit. Host name or IP address."
          autoComplete="off"
          autoCapitalize="none"
          spellCheck={false}
        />
        <TextField label="Peer port" name="port" inputMode="numeric" value={port} onChange={(event) => setPort(event.target.value)} error={errors.port} />
        <Button type="submit" busy={busy} className="w-full">
          Find the peer
        </Button>
      </form>
    );
  }

  return (
    <form onSubmit={(event) => void rebuild(event)} noValidate className="space-y-4" aria-label="Rebuild from the peer">
      <ErrorNotice error={formLevelError(apiError, ['serverName', 'passphrase', 'peer.password'])} />
      <div className="space-y-1 rounded-md border border-slate-200 bg-slate-50 p-3 text-sm">
        <p className="text-slate-800">
          {discovered.address}:{discovered.port} says it is <strong>{discovered.serverName}</strong>, with this certificate fingerprint:
        </p>
        <Fingerprint value={discovered.fingerprint} testId="peer-fingerprint" className="text-slate-900" />
        <p className="text-xs text-slate-600">Compare it with the one on that server&apos;s Settings page (ask its administrator). Different means another machine answers: stop.</p>
      </div>
      <CheckboxField label="It matches" checked={matches} onChange={(event) => setMatches(event.target.checked)} error={errors.matches} />
      <TextField
        label="This server's name"
        name="serverName"
        value={serverName}
        onChange={(event) => setServerName(event.target.value)}
        error={errors.serverName}
        help="The name this server had: the peer keeps its kit under it."
        autoComplete="off"
        autoCapitalize="none"
        spellCheck={false}
      />
      <TextField
        label="Peer's server password"
        name="peerPassword"
        type="password"
        value={password}
        onChange={(event) => setPassword(event.target.value)}
        error={errors['peer.password']}
        help="The password that peer gave this server to sync to it."
        autoComplete="off"
      />
      <TextField
        label="Kit passphrase"
        name="passphrase"
        type="password"
        value={passphrase}
        onChange={(event) => setPassphrase(event.target.value)}
        error={errors.passphrase}
        autoComplete="off"
      />
      <div className="flex flex-col gap-2 sm:flex-row">
        <Button type="submit" busy={busy} className="sm:flex-1">
          Rebuild from this peer
        </Button>
        <Button variant="secondary" onClick={() => setDiscovered(undefined)} disabled={busy}>
          Another peer
        </Button>
      </div>
    </form>
  );
}

function Rebuilt({ result }: { result: RebuildResult }) {
  return (
    <div className="space-y-4" data-testid="rebuild-done">
      <Notice tone="warning" title="Restart the server now">
        <p>
          Stop it and start it again (<code className="font-mono">anemone serve</code>, or your service manager), so it presents its restored certificate. Until then peers may see
          a certificate they do not know.
        </p>
      </Notice>
      <Notice tone="success" title={`Server "${result.serverName}" is restored.`}>
        <p>
          {formatCount(result.users.length, 'user')} ({result.users.join(', ')}), {formatCount(result.peers.length, 'peer')} ({result.peers.join(', ') || 'none'}),{' '}
          {formatCount(result.shares, 'share')}.
        </p>
        <div className="mt-1">
          Fingerprint: <Fingerprint value={result.fingerprint} />
        </div>
      </Notice>
      <ol className="list-decimal space-y-1 pl-5 text-sm text-slate-800">
        <li>Restart the server.</li>
        <li>Sign in with your old administrator account (users keep their passwords).</li>
        <li>Run a bulk restore from a peer (Admin restore); verifying the peer first is recommended.</li>
        {result.automaticSyncPaused && <li>Then switch automatic sync back on (Synchronization): it stays off until then, so a half-restored share is not synced.</li>}
      </ol>
    </div>
  );
}

/**
 * First run after a disaster: rebuild this server from its recovery kit, from
 * the file or from a peer's copy. `onRebuilt` lets the page drop its way back
 * to a new setup: the server is set up now, and only a restart is left.
 */
export function RebuildForm({ onRebuilt }: { onRebuilt?(): void } = {}) {
  const [way, setWay] = useState<'file' | 'peer'>('file');
  const [result, setResult] = useState<RebuildResult>();
  const done = (rebuilt: RebuildResult) => {
    setResult(rebuilt);
    onRebuilt?.();
  };
  if (result) return <Rebuilt result={result} />;
  return (
    <div className="space-y-4">
      <fieldset className="flex flex-wrap gap-4 text-sm">
        <legend className="sr-only">Where the kit is</legend>
        {(
          [
            ['file', 'I have the kit file'],
            ['peer', 'From a peer that keeps a copy'],
          ] as const
        ).map(([value, label]) => (
          <label key={value} className="flex items-center gap-2 text-slate-900">
            <input type="radio" name="rebuildWay" value={value} checked={way === value} onChange={() => setWay(value)} className="size-4 accent-teal-700" />
            {label}
          </label>
        ))}
      </fieldset>
      {way === 'file' ? <FromKitFile onDone={done} /> : <FromPeer onDone={done} />}
    </div>
  );
}
