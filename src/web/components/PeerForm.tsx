import { type FormEvent, useState } from 'react';
import { peersApi } from '../api/client';
import type { ApiError } from '../api/http';
import type { Peer, PeerInput, PeerPatch, TestConnectionResult } from '../api/types';
import { asApiError } from '../lib/hooks';
import { apiFieldErrors, type FieldErrors, formLevelError, hasErrors, rules, validate } from '../lib/validation';
import { Button } from './Button';
import { CheckboxField, TextField } from './Field';
import { ErrorNotice, Notice } from './Notice';
import { TestResultPanel } from './TestResultPanel';
import { fromDrafts, toDrafts, UploadLimitFields, uploadLimitProblems, type WindowDraft } from './UploadLimitFields';
import { Fingerprint } from './Fingerprint';

const DEFAULT_PORT = 8443;
const DEFAULT_TIMEOUT_MINUTES = 30;

interface FormState {
  name: string;
  address: string;
  port: string;
  password: string;
  removePassword: boolean;
  timeoutMinutes: string;
  enabled: boolean;
  /** The fingerprint to pin: the saved one, or one just confirmed from a test. */
  fingerprint: string | null;
  uploadLimitKiBps: string;
  uploadWindows: WindowDraft[];
}

function initialState(peer: Peer | undefined): FormState {
  return {
    name: peer?.name ?? '',
    address: peer?.address ?? '',
    port: String(peer?.port ?? DEFAULT_PORT),
    password: '',
    removePassword: false,
    timeoutMinutes: String(peer?.timeoutMinutes ?? DEFAULT_TIMEOUT_MINUTES),
    enabled: peer?.enabled ?? true,
    fingerprint: peer?.fingerprint ?? null,
    uploadLimitKiBps: peer?.uploadLimitKiBps == null ? '' : String(peer.uploadLimitKiBps),
    uploadWindows: toDrafts(peer?.uploadWindows ?? []),
  };
}

const FIELDS = ['name', 'address', 'port', 'password', 'timeoutMinutes', 'fingerprint', 'uploadLimitKiBps'];

/**
 * Adding or editing a peer: its name, address, port (8443 unless changed),
 * password and timeout, and Test Connection on what the form holds. After a
 * test that reached the peer, saving is confirming the fingerprint it showed
 * (the button says so): a tested peer is never saved unconfirmed by mistake.
 */
export function PeerForm({ peer, onSaved, onCancel }: { peer?: Peer; onSaved(peer: Peer): void; onCancel(): void }) {
  const [form, setForm] = useState<FormState>(() => initialState(peer));
  const [errors, setErrors] = useState<FieldErrors>({});
  const [apiError, setApiError] = useState<ApiError>();
  const [saving, setSaving] = useState(false);
  const [testing, setTesting] = useState(false);
  const [testResult, setTestResult] = useState<TestConnectionResult>();
  const [testError, setTestError] = useState<ApiError>();

  const set = <K extends keyof FormState>(key: K, value: FormState[K]) => {
    setForm((current) => ({ ...current, [key]: value }));
    // a test of another address says nothing about this one: its fingerprint must not be confirmed by saving
    if (key === 'address' || key === 'port') setTestResult(undefined);
  };
  const moved = peer !== undefined && (form.address.trim() !== peer.address || Number(form.port) !== peer.port);

  const check = (forTest: boolean): FieldErrors =>
    validate({
      ...(forTest ? {} : { name: rules.peerName(form.name.trim()), timeoutMinutes: rules.timeoutMinutes(form.timeoutMinutes) }),
      address: rules.peerAddress(form.address),
      port: rules.port(form.port),
      password: form.password.length > 1024 ? 'Use at most 1024 characters' : undefined,
      ...(forTest ? {} : uploadLimitProblems(form.uploadLimitKiBps, form.uploadWindows)),
    });

  const test = async () => {
    const found = check(true);
    setErrors(found);
    setTestResult(undefined);
    setTestError(undefined);
    if (hasErrors(found)) return;
    setTesting(true);
    try {
      setTestResult(
        await peersApi.testUnsaved({
          address: form.address.trim(),
          port: Number(form.port),
          ...(form.password ? { password: form.password } : {}),
          // an edit form tests with the stored password, towards the pinned certificate, unless the peer moved
          ...(peer && !form.removePassword ? { peerId: peer.id } : {}),
          ...(moved || form.fingerprint !== (peer?.fingerprint ?? null) ? { fingerprint: form.fingerprint } : {}),
        }),
      );
    } catch (caught) {
      const error = asApiError(caught);
      setTestError(error);
      setErrors(apiFieldErrors(error));
    } finally {
      setTesting(false);
    }
  };

  // a test that reached the peer and saw a certificate not pinned yet: saving is confirming it
  const seenToConfirm = testResult?.ok && testResult.fingerprint && testResult.fingerprint !== form.fingerprint ? testResult.fingerprint : undefined;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const found = check(false);
    setErrors(found);
    setApiError(undefined);
    if (hasErrors(found)) return;
    const fingerprint = seenToConfirm ?? form.fingerprint;
    const input: PeerInput = {
      name: form.name.trim(),
      address: form.address.trim(),
      port: Number(form.port),
      enabled: form.enabled,
      timeoutMinutes: Number(form.timeoutMinutes),
      fingerprint,
      uploadLimitKiBps: form.uploadLimitKiBps.trim() === '' ? null : Number(form.uploadLimitKiBps),
      uploadWindows: fromDrafts(form.uploadWindows),
      ...(form.password ? { password: form.password } : {}),
    };
    // only a saved peer has a password to remove
    const removal: PeerPatch = !form.password && form.removePassword ? { password: null } : {};
    setSaving(true);
    try {
      const saved = peer ? await peersApi.update(peer.id, { ...input, ...removal }) : await peersApi.create(input);
      // the peer was just reached with this certificate: test it saved, so its status says Online rather than "Not tested yet"
      if (seenToConfirm) await peersApi.test(saved.id).catch(() => undefined);
      onSaved(saved);
    } catch (caught) {
      const error = asApiError(caught);
      setApiError(error);
      const fieldErrors = apiFieldErrors(error);
      // "a peer with that name already exists" belongs next to the name
      if (error.code === 'VALIDATION_FAILED' && error.fields.length === 0 && /name/i.test(error.message)) fieldErrors.name = error.message;
      setErrors(fieldErrors);
    } finally {
      setSaving(false);
    }
  };

  return (
    <form onSubmit={submit} noValidate className="space-y-4" aria-label={peer ? `Edit ${peer.name}` : 'Add a peer'}>
      <ErrorNotice error={errors.name && apiError && apiError.fields.length === 0 ? undefined : formLevelError(apiError, FIELDS)} />
      <div className="grid gap-4 sm:grid-cols-2">
        <TextField label="Name" name="name" value={form.name} onChange={(event) => set('name', event.target.value)} error={errors.name} help="How this server calls the peer, e.g. grandma-nas." autoComplete="off" />
        <TextField
          label="Address"
          name="address"
          value={form.address}
          onChange={(event) => set('address', event.target.value)}
          error={errors.address}
          help="Host name or IP address, without https:// or a port."
          autoComplete="off"
          autoCapitalize="none"
          spellCheck={false}
        />
        <TextField label="Port" name="port" type="number" inputMode="numeric" min={1} max={65535} value={form.port} onChange={(event) => set('port', event.target.value)} error={errors.port} help="8443 unless the peer uses another: its Settings page shows the port peers connect to." />
        <TextField
          label="Password"
          name="password"
          type="password"
          value={form.password}
          onChange={(event) => set('password', event.target.value)}
          error={errors.password}
          help={peer?.passwordSet ? 'Leave empty to keep the current password.' : "The server password set on the peer's Settings page (recommended)."}
          autoComplete="new-password"
          disabled={form.removePassword}
        />
        <TextField
          label="Timeout (minutes)"
          name="timeoutMinutes"
          type="number"
          inputMode="numeric"
          min={1}
          max={1440}
          value={form.timeoutMinutes}
          onChange={(event) => set('timeoutMinutes', event.target.value)}
          error={errors.timeoutMinutes}
          help="A sync that makes no progress for this long is stopped."
        />
        <div className="space-y-3 sm:pt-6">
          <CheckboxField label="Enabled" description="Syncs go to enabled peers only." checked={form.enabled} onChange={(event) => set('enabled', event.target.checked)} />
          {peer?.passwordSet && (
            <CheckboxField label="Remove the password" checked={form.removePassword} onChange={(event) => set('removePassword', event.target.checked)} />
          )}
        </div>
      </div>
      <UploadLimitFields
        limitKiBps={form.uploadLimitKiBps}
        windows={form.uploadWindows}
        errors={errors}
        onLimitChange={(value) => set('uploadLimitKiBps', value)}
        onWindowsChange={(windows) => set('uploadWindows', windows)}
      />
      <div className="rounded-md border border-slate-200 bg-slate-50 p-3 text-sm">
        <p className="font-medium text-slate-800">Certificate fingerprint</p>
        {form.fingerprint ? (
          <Fingerprint value={form.fingerprint} testId="form-fingerprint" className="mt-1 text-slate-800" />
        ) : (
          <p className="mt-1 text-slate-600">Not confirmed yet: run Test Connection and confirm the fingerprint it shows. No sync runs until it is confirmed.</p>
        )}
        {errors.fingerprint && <p className="mt-1 text-red-700">{errors.fingerprint}</p>}
        {moved && form.fingerprint && form.fingerprint === peer?.fingerprint && (
          <p className="mt-1 text-slate-600">The address changed: Test Connection checks the new address presents this same certificate.</p>
        )}
      </div>
      <ErrorNotice error={formLevelError(testError, FIELDS)} title="Test Connection" />
      {testResult && (
        <TestResultPanel
          result={testResult}
          pinnedFingerprint={form.fingerprint}
          // a reachable peer's fingerprint is confirmed by saving; only a changed certificate is accepted here, before saving
          {...(testResult.ok
            ? {}
            : {
                onConfirmFingerprint: (fingerprint: string) => {
                  set('fingerprint', fingerprint);
                  setTestResult({ ...testResult });
                },
              })}
        />
      )}
      {seenToConfirm && (
        <Notice tone="info" title="Compare before you save">
          Saving confirms the fingerprint above: check it matches the one on the peer&apos;s Settings page (ask its administrator). Then only that certificate is trusted.
        </Notice>
      )}
      {!seenToConfirm && testResult?.fingerprint && form.fingerprint === testResult.fingerprint && form.fingerprint !== (peer?.fingerprint ?? null) && (
        <Notice tone="info">The accepted fingerprint is saved with the peer when you save.</Notice>
      )}
      <div className="flex flex-wrap gap-2">
        <Button type="submit" busy={saving}>
          {seenToConfirm ? 'Confirm fingerprint and save' : peer ? 'Save changes' : 'Save peer'}
        </Button>
        <Button variant="secondary" onClick={() => void test()} busy={testing}>
          Test connection
        </Button>
        <Button variant="ghost" onClick={onCancel}>
          Cancel
        </Button>
      </div>
    </form>
  );
}
