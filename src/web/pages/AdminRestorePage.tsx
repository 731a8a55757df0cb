import { type FormEvent, useEffect, useState } from 'react';
import { adminRestoreApi, peersApi, usersApi } from '../api/client';
import type { ApiError } from '../api/http';
import type { RestoreJob } from '../api/types';
import { Button, Spinner } from '../components/Button';
import { Card, EmptyState, PageHeader } from '../components/Card';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { SelectField } from '../components/Field';
import { ErrorNotice } from '../components/Notice';
import { AsOfField } from '../components/AsOfField';
import { AsOfReport, withoutTooOld } from '../components/AsOfReport';
import { RestoreJobPanel, RestoreStatusBadge } from '../components/RestoreJobPanel';
import { RelativeTime } from '../components/Time';
import { VerifyPanel } from '../components/VerifyPanel';
import { formatAbsolute, formatCount } from '../lib/format';
import { formatUtc, instantOfLocalInput } from '../lib/local-time';
import { asApiError, useLoad } from '../lib/hooks';
import { usePollJob } from '../lib/use-poll-job';
import { type FieldErrors, hasErrors, validate } from '../lib/validation';

function JobProgress({ job }: { job: RestoreJob }) {
  return (
    <div className="space-y-5">
      {/* the page polls the job while it runs: a cancel shows there once it has ended */}
      <RestoreJobPanel label={`From ${job.peerName}`} job={job} onCancel={() => adminRestoreApi.cancel(job.id)} />
      <AsOfReport job={job} />
      <ul className="space-y-4 border-t border-slate-200 pt-4">
        {job.users.map((user) => (
          <li key={user.user}>
            <RestoreJobPanel label={`${user.user} (${user.shares.join(', ') || 'no backup'})`} job={{ ...withoutTooOld(user), error: null }} jobStatus={job.status} />
          </li>
        ))}
      </ul>
    </div>
  );
}

/** After a disaster: every chosen user's backup from one peer, back into their shares. */
export function AdminRestorePage() {
  const peers = useLoad(peersApi.list);
  const users = useLoad(usersApi.list);
  const jobs = useLoad(adminRestoreApi.jobs, { pollMs: 5000 });
  const [peerId, setPeerId] = useState<number>();
  const [chosenUsers, setChosenUsers] = useState<Set<string>>();
  const [asOf, setAsOf] = useState(false);
  const [asOfInput, setAsOfInput] = useState('');
  const [errors, setErrors] = useState<FieldErrors>({});
  const [confirming, setConfirming] = useState(false);
  const [starting, setStarting] = useState(false);
  const [startError, setStartError] = useState<ApiError>();
  const [jobId, setJobId] = useState<string>();
  const { job, error: jobError } = usePollJob(jobId, adminRestoreApi.job);
  const reloadJobs = jobs.reload;
  // the list below tells the same story as the progress above
  useEffect(() => {
    if (job?.status) void reloadJobs();
  }, [job?.status, reloadJobs]);

  const usablePeers = (peers.data ?? []).filter((peer) => peer.fingerprint !== null);
  const selectedPeer = usablePeers.find((peer) => peer.id === peerId) ?? usablePeers[0];
  const activeUsers = (users.data ?? []).filter((user) => user.activated);
  const selection = chosenUsers ?? new Set(activeUsers.map((user) => user.username));

  const toggle = (username: string, checked: boolean) => {
    const next = new Set(selection);
    if (checked) next.add(username);
    else next.delete(username);
    setChosenUsers(next);
  };

  const at = asOf ? instantOfLocalInput(asOfInput) : undefined;
  // a time typed after a refusal: its error goes, so the help (the time zone, the UTC time) shows again
  const changeAsOf = (value: string) => {
    setAsOfInput(value);
    setErrors(({ at: _refused, ...others }) => others);
  };
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const found = validate({
      peerId: selectedPeer ? undefined : 'Choose a peer with a confirmed fingerprint',
      users: selection.size === 0 ? 'Choose at least one user' : undefined,
      at: !asOf ? undefined : at === undefined ? 'Give a date and time, or choose the latest backup' : Date.parse(at) > Date.now() ? 'Give a time in the past: the latest backup is the newest there is' : undefined,
    });
    setErrors(found);
    if (!hasErrors(found)) setConfirming(true);
  };

  const start = async () => {
    if (!selectedPeer) return;
    setStarting(true);
    setStartError(undefined);
    try {
      setJobId((await adminRestoreApi.start({ peerId: selectedPeer.id, users: [...selection], ...(at === undefined ? {} : { at }) })).jobId);
      setConfirming(false);
      void jobs.reload();
    } catch (caught) {
      setStartError(asApiError(caught));
    } finally {
      setStarting(false);
    }
  };

  const loading = (peers.loading && !peers.data) || (users.loading && !users.data);
  return (
    <>
      <PageHeader
        title="Admin restore"
        description="After a disaster: bring users' backups back from a peer into their shares. Files are decrypted here, with each user's key, and replace what is in the shares."
      />
      <div className="grid gap-6 lg:grid-cols-[2fr_3fr]">
        <Card title="Start a restore" labelId="bulk-restore">
          <ErrorNotice error={peers.error ?? users.error} />
          {loading && <Spinner label="Loading…" />}
          {!loading && (
            <form onSubmit={submit} noValidate className="space-y-5">
              <SelectField
                label="Restore from"
                name="peer"
                value={selectedPeer?.id ?? ''}
                onChange={(event) => setPeerId(Number(event.target.value))}
                error={errors.peerId}
                help={usablePeers.length === 0 ? 'No peer with a confirmed fingerprint: add one in Peers first.' : undefined}
              >
                {usablePeers.map((peer) => (
                  <option key={peer.id} value={peer.id}>
                    {peer.name} ({peer.address}:{peer.port})
                  </option>
                ))}
              </SelectField>
              <fieldset className="space-y-2">
                <legend className="text-sm font-medium text-slate-800">Users</legend>
                {activeUsers.length === 0 && <p className="text-sm text-slate-600">No activated user.</p>}
                <ul className="max-h-72 space-y-1.5 overflow-y-auto">
                  {activeUsers.map((user) => (
                    <li key={user.id}>
                      <label className="flex items-center gap-2 text-sm text-slate-900">
                        <input type="checkbox" name="users" value={user.username} className="size-4 accent-teal-700" checked={selection.has(user.username)} onChange={(event) => toggle(user.username, event.target.checked)} />
                        {user.username}
                      </label>
                    </li>
                  ))}
                </ul>
                {errors.users && (
                  <p className="text-sm text-red-700" role="alert">
                    {errors.users}
                  </p>
                )}
              </fieldset>
              <AsOfField asOf={asOf} onAsOfChange={setAsOf} value={asOfInput} onChange={changeAsOf} error={errors.at} />
              <Button type="submit" disabled={job?.status === 'running'}>
                Start restore
              </Button>
            </form>
          )}
        </Card>
        <Card title="Progress" labelId="bulk-progress">
          <ErrorNotice error={jobError} />
          {!job && !jobError && <EmptyState>Start a restore to follow it here.</EmptyState>}
          {job && <JobProgress job={job} />}
        </Card>
      </div>
      {!loading && <VerifyPanel peers={usablePeers} users={activeUsers} />}
      {jobs.data && jobs.data.length > 0 && (
        <Card title="Recent restores" labelId="restore-history" className="mt-6">
          <ul className="divide-y divide-slate-200">
            {jobs.data.map((entry) => (
              <li key={entry.id} className="flex flex-wrap items-center justify-between gap-2 py-2 text-sm">
                <span>
                  <span className="font-medium text-slate-900">{entry.kind === 'bulk' ? entry.users.map((user) => user.user).join(', ') : `${entry.users[0]?.user ?? ''} (their own)`}</span> from {entry.peerName},{' '}
                  <RelativeTime iso={entry.startedAt} />
                  {entry.at !== null && <>, as of {formatAbsolute(entry.at)}</>} · {formatCount(entry.filesDone, 'file')}
                  {entry.filesFailed > 0 && `, ${formatCount(entry.filesFailed)} failed`}
                </span>
                <span className="flex items-center gap-2">
                  <RestoreStatusBadge status={entry.status} />
                  {entry.id !== jobId && (
                    <Button size="sm" variant="ghost" onClick={() => setJobId(entry.id)}>
                      Show
                    </Button>
                  )}
                </span>
              </li>
            ))}
          </ul>
        </Card>
      )}
      <ConfirmDialog
        open={confirming}
        title="Restore into the users' shares?"
        confirmLabel="Start restore"
        busy={starting}
        error={startError}
        onConfirm={() => void start()}
        onCancel={() => {
          setConfirming(false);
          setStartError(undefined);
        }}
      >
        {at === undefined ? (
          <p>
            Every file of the backups of {[...selection].join(', ')} on {selectedPeer?.name} is written back into their shares. A file already there with the same path is replaced by the
            backup&apos;s version.
          </p>
        ) : (
          <p>
            The backups of {[...selection].join(', ')} on {selectedPeer?.name} are put back as they were on {formatAbsolute(at)} ({formatUtc(at)}): each file that differs from that
            snapshot is replaced by it, deleted files come back, and files made since are left in place and listed.
          </p>
        )}
      </ConfirmDialog>
    </>
  );
}
