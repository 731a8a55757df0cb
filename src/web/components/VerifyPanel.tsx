import { type FormEvent, useState } from 'react';
import { verifyApi } from '../api/client';
import { ApiError } from '../api/http';
import type { Peer, Problem, User, VerifyJob, VerifyShareReport } from '../api/types';
import { displayKeyPath } from '../lib/file-names';
import { formatCount } from '../lib/format';
import { asApiError } from '../lib/hooks';
import { usePollJob } from '../lib/use-poll-job';
import { type FieldErrors, hasErrors, validate } from '../lib/validation';
import { Button, Spinner } from './Button';
import { Card, EmptyState } from './Card';
import { SelectField, TextField } from './Field';
import { ErrorNotice, Notice } from './Notice';
import { Badge, type Tone } from './StatusBadge';

const DEFAULT_SAMPLE = 10;

/** A problem inside a report, shown like any API error: message and hint. */
const problemError = (problem: Problem) => new ApiError(0, problem);

const SHARE_STATUS: Record<VerifyShareReport['status'], [Tone, string]> = {
  ok: ['good', 'All good'],
  problems: ['bad', 'Problems'],
  'no-backup': ['neutral', 'No backup'],
  error: ['bad', 'Could not check'],
};

/** A list of paths, the first few shown, the rest counted. */
function PathList({ title, paths, total }: { title: string; paths: string[]; total: number }) {
  if (total === 0) return null;
  const shown = paths.slice(0, 20);
  return (
    <details className="text-sm">
      <summary className="cursor-pointer text-slate-800">{title}</summary>
      <ul className="mt-1 max-h-48 space-y-0.5 overflow-y-auto pl-4 font-mono text-xs break-all text-slate-700">
        {shown.map((path) => (
          <li key={path}>{path}</li>
        ))}
        {total > shown.length && <li className="font-sans text-slate-600">… and {formatCount(total - shown.length, 'more file')}</li>}
      </ul>
    </details>
  );
}

function ShareReport({ report }: { report: VerifyShareReport }) {
  const [tone, label] = SHARE_STATUS[report.status];
  const { sample } = report;
  return (
    <li className="space-y-2 py-3" data-testid="verify-share">
      <div className="flex flex-wrap items-center justify-between gap-2">
        <span className="font-medium text-slate-900">
          {report.user} — {report.share}
          {report.generation !== null && <span className="font-normal text-slate-600"> (generation {report.generation})</span>}
        </span>
        <Badge tone={tone}>{label}</Badge>
      </div>
      {report.error && <ErrorNotice error={problemError(report.error)} />}
      {report.status === 'no-backup' && <p className="text-sm text-slate-600">The peer holds no backup of this share yet.</p>}
      {report.status !== 'no-backup' && report.status !== 'error' && (
        <>
          <dl className="grid grid-cols-2 gap-x-4 gap-y-1 text-sm sm:grid-cols-4">
            {(
              [
                ['Files OK', report.okCount, false],
                ['Missing', report.missingCount, report.missingCount > 0],
                ['Altered', report.alteredCount, report.alteredCount > 0],
                ['Extra', report.extraCount, false],
              ] as const
            ).map(([name, value, bad]) => (
              <div key={name}>
                <dt className="text-slate-600">{name}</dt>
                <dd className={`font-medium ${bad ? 'text-red-700' : 'text-slate-900'}`}>{formatCount(value)}</dd>
              </div>
            ))}
          </dl>
          <p className="text-xs text-slate-600">Of {formatCount(report.files, 'file')} in the backup&apos;s manifest.</p>
          <PathList title={`Missing on the peer — ${formatCount(report.missingCount, 'file')} that cannot be restored from it`} paths={report.missing} total={report.missingCount} />
          <PathList title={`Altered on the peer — ${formatCount(report.alteredCount, 'file')} that will not be restored as good`} paths={report.altered} total={report.alteredCount} />
          <PathList title={`Extra on the peer — ${formatCount(report.extraCount, 'file')} no manifest names (harmless, left over)`} paths={report.extra} total={report.extraCount} />
          <p className="text-sm text-slate-800">
            {sample.checked === 0
              ? 'No file was downloaded and decrypted (sample of 0).'
              : `Sample: ${formatCount(sample.ok)} of ${formatCount(sample.checked, 'file')} downloaded and decrypted correctly.`}
          </p>
          {sample.failed.length > 0 && (
            <ul className="space-y-0.5 pl-4 text-sm text-red-700">
              {sample.failed.map((failure) => (
                <li key={failure.path}>
                  <span className="font-mono text-xs break-all">{displayKeyPath(failure.path)}</span>: {failure.reason}
                </li>
              ))}
            </ul>
          )}
        </>
      )}
    </li>
  );
}

function VerifyReport({ job }: { job: VerifyJob }) {
  return (
    <div className="space-y-3" data-testid="verify-report">
      {job.status === 'running' && <Spinner label={`Checking ${job.peerName}… ${job.sharesDone} of ${job.sharesTotal} shares done`} />}
      {job.status === 'done' && job.ok === true && (
        <Notice tone="success" title={`${job.peerName} holds every file of the backups checked, unchanged.`}>
          A restore from it would bring them all back.
        </Notice>
      )}
      {job.status === 'done' && job.ok === false && (
        <Notice tone="warning" title={`${job.peerName} does not hold everything intact.`}>
          See each share below: missing or altered files will not be restored as good from this peer.
        </Notice>
      )}
      {job.status === 'failed' && job.error && <ErrorNotice error={problemError(job.error)} title="The check failed" />}
      {job.shares.length > 0 && (
        <ul className="divide-y divide-slate-200">
          {job.shares.map((report) => (
            <ShareReport key={`${report.user}/${report.share}`} report={report} />
          ))}
        </ul>
      )}
    </div>
  );
}

/** Verify: does a peer still hold the backups intact? Checked against the manifests, with a sample decrypted. */
export function VerifyPanel({ peers, users }: { peers: Peer[]; users: User[] }) {
  const [peerId, setPeerId] = useState<number>();
  const [user, setUser] = useState('');
  const [sample, setSample] = useState(String(DEFAULT_SAMPLE));
  const [errors, setErrors] = useState<FieldErrors>({});
  const [busy, setBusy] = useState(false);
  const [startError, setStartError] = useState<ApiError>();
  const [jobId, setJobId] = useState<string>();
  const { job, error: jobError } = usePollJob(jobId, verifyApi.job);
  const selectedPeer = peers.find((peer) => peer.id === peerId) ?? peers[0];

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const size = Number(sample);
    const found = validate({
      peerId: selectedPeer ? undefined : 'Choose a peer with a confirmed fingerprint',
      sample: Number.isInteger(size) && size >= 0 && size <= 1000 ? undefined : 'Use 0 to 1000 files',
    });
    setErrors(found);
    setStartError(undefined);
    if (hasErrors(found) || !selectedPeer) return;
    setBusy(true);
    try {
      const started = await verifyApi.start({ peerId: selectedPeer.id, sample: size, ...(user ? { users: [user] } : {}) });
      setJobId(started.id);
    } catch (caught) {
      const error = asApiError(caught);
      setStartError(error);
      setErrors({ sample: error.fieldMessage('sample'), peerId: error.fieldMessage('peerId') });
    } finally {
      setBusy(false);
    }
  };

  return (
    <Card
      title="Verify a peer"
      labelId="verify"
      description="Checks, without downloading the backups, that a peer holds every file unchanged; then downloads and decrypts a random sample of files per share."
      className="mt-6"
    >
      <div className="grid gap-6 lg:grid-cols-[2fr_3fr]">
        <form onSubmit={(event) => void submit(event)} noValidate className="space-y-4">
          <ErrorNotice error={startError} />
          <SelectField
            label="Peer to check"
            name="verifyPeer"
            value={selectedPeer?.id ?? ''}
            onChange={(event) => setPeerId(Number(event.target.value))}
            error={errors.peerId}
            help={peers.length === 0 ? 'No peer with a confirmed fingerprint: add one in Peers first.' : undefined}
          >
            {peers.map((peer) => (
              <option key={peer.id} value={peer.id}>
                {peer.name} ({peer.address}:{peer.port})
              </option>
            ))}
          </SelectField>
          <SelectField label="Users" name="verifyUser" value={user} onChange={(event) => setUser(event.target.value)}>
            <option value="">Every user</option>
            {users.map((entry) => (
              <option key={entry.id} value={entry.username}>
                {entry.username}
              </option>
            ))}
          </SelectField>
          <TextField
            label="Sample size"
            name="sample"
            type="number"
            min={0}
            max={1000}
            value={sample}
            onChange={(event) => setSample(event.target.value)}
            error={errors.sample}
            help="Files per share downloaded and decrypted in full; 0 checks the hashes only."
          />
          <Button type="submit" busy={busy} disabled={job?.status === 'running'}>
            Start verify
          </Button>
        </form>
        <div>
          <ErrorNotice error={jobError} />
          {!job && !jobError && <EmptyState>Start a verify to see its report here.</EmptyState>}
          {job && <VerifyReport job={job} />}
        </div>
      </div>
    </Card>
  );
}
