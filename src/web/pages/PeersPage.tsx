import { useState } from 'react';
import { peersApi } from '../api/client';
import type { ApiError } from '../api/http';
import type { Peer, TestConnectionResult } from '../api/types';
import { Button, Spinner } from '../components/Button';
import { Card, Details, EmptyState, PageHeader } from '../components/Card';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { ErrorNotice } from '../components/Notice';
import { PeerForm } from '../components/PeerForm';
import { PeerStatusBadge } from '../components/StatusBadge';
import { TestResultPanel } from '../components/TestResultPanel';
import { RelativeTime } from '../components/Time';
import { asApiError, useConfirmedAction, useLoad } from '../lib/hooks';
import { Fingerprint } from '../components/Fingerprint';

function PeerCard({ peer, onChanged, onEdit, onDelete }: { peer: Peer; onChanged(): void; onEdit(): void; onDelete(): void }) {
  const [testing, setTesting] = useState(false);
  const [result, setResult] = useState<TestConnectionResult>();
  const [error, setError] = useState<ApiError>();
  const [pinning, setPinning] = useState(false);

  const test = async () => {
    setTesting(true);
    setError(undefined);
    setResult(undefined);
    try {
      setResult(await peersApi.test(peer.id));
      onChanged();
    } catch (caught) {
      setError(asApiError(caught));
    } finally {
      setTesting(false);
    }
  };

  const pin = async (fingerprint: string) => {
    setPinning(true);
    setError(undefined);
    try {
      await peersApi.update(peer.id, { fingerprint });
      // test again through the pinned connection, so the status turns online
      setResult(await peersApi.test(peer.id));
      onChanged();
    } catch (caught) {
      setError(asApiError(caught));
    } finally {
      setPinning(false);
    }
  };

  return (
    <Card
      title={peer.name}
      labelId={`peer-${peer.id}`}
      description={`${peer.address.includes(':') ? `[${peer.address}]` : peer.address}:${peer.port}`}
      actions={<PeerStatusBadge status={peer.status} enabled={peer.enabled} />}
    >
      <div className="space-y-4">
        {peer.statusMessage && <p className="text-sm text-slate-700">{peer.statusMessage}</p>}
        <Details
          items={[
            ['Server name', peer.remoteServerName ?? <span className="text-slate-600">Not known yet</span>],
            [
              'Fingerprint',
              peer.fingerprint ? (
                <Fingerprint value={peer.fingerprint} />
              ) : (
                <span className="text-amber-800">Not confirmed — test the connection and confirm it</span>
              ),
            ],
            ['Password', peer.passwordSet ? 'Set' : 'None'],
            ['Timeout', `${peer.timeoutMinutes} min without progress`],
            ['Upload limit', uploadLimitText(peer)],
            ['Last seen', <RelativeTime key="contact" iso={peer.lastSeenAt} never="never" />],
          ]}
        />
        <ErrorNotice error={error} />
        {result && <TestResultPanel result={result} pinnedFingerprint={peer.fingerprint} onConfirmFingerprint={(fingerprint) => void pin(fingerprint)} confirming={pinning} />}
        <div className="flex flex-wrap gap-2">
          <Button variant="secondary" size="sm" onClick={() => void test()} busy={testing}>
            Test connection
          </Button>
          <Button variant="secondary" size="sm" onClick={onEdit}>
            Edit
          </Button>
          <Button variant="dangerGhost" size="sm" onClick={onDelete}>
            Delete
          </Button>
        </div>
      </div>
    </Card>
  );
}

/** Peers: the servers this one sends its encrypted backups to. */
export function PeersPage() {
  const peers = useLoad(peersApi.list, { pollMs: 30_000 });
  const [editing, setEditing] = useState<Peer | 'new'>();
  const deletion = useConfirmedAction((peer: Peer) => peersApi.remove(peer.id), peers.reload);

  const saved = () => {
    setEditing(undefined);
    void peers.reload();
  };

  return (
    <>
      <PageHeader
        title="Peers"
        description="The servers this one sends its encrypted backups to. A peer stores them but can never read them."
        actions={editing === undefined && <Button onClick={() => setEditing('new')}>Add peer</Button>}
      />
      <div className="space-y-6">
        {editing !== undefined && (
          <Card title={editing === 'new' ? 'Add a peer' : `Edit ${editing.name}`} labelId="peer-form">
            <PeerForm key={editing === 'new' ? 'new' : editing.id} peer={editing === 'new' ? undefined : editing} onSaved={saved} onCancel={() => setEditing(undefined)} />
          </Card>
        )}
        <ErrorNotice error={peers.error} />
        {peers.loading && !peers.data && <Spinner label="Loading peers…" />}
        {peers.data?.length === 0 && editing === undefined && <EmptyState>No peer yet. Add the server of a friend or relative who runs Anemone too.</EmptyState>}
        <div className="grid gap-6 xl:grid-cols-2">
          {peers.data?.map((peer) => (
            <PeerCard key={peer.id} peer={peer} onChanged={() => void peers.reload()} onEdit={() => setEditing(peer)} onDelete={() => deletion.ask(peer)} />
          ))}
        </div>
      </div>
      <ConfirmDialog
        open={deletion.target !== undefined}
        title={`Delete the peer ${deletion.target?.name ?? ''}?`}
        confirmLabel="Delete peer"
        busy={deletion.busy}
        error={deletion.error}
        onConfirm={() => void deletion.confirm()}
        onCancel={deletion.cancel}
      >
        <p>This server stops syncing to it, and users can no longer restore from it.</p>
        <p>The backups it already holds stay there; its administrator can delete them from their Incoming backups page.</p>
      </ConfirmDialog>
    </>
  );
}

function uploadLimitText(peer: Peer): string {
  const base = peer.uploadLimitKiBps === null ? 'None' : `${peer.uploadLimitKiBps} KiB/s`;
  const windows = peer.uploadWindows.length;
  return windows === 0 ? base : `${base}, and ${windows} time window${windows === 1 ? '' : 's'}`;
}
