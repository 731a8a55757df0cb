import { type FormEvent, useEffect, useRef, useState } from 'react';
import { usersApi } from '../api/client';
import type { ApiError } from '../api/http';
import type { CreatedUser, User } from '../api/types';
import { Button, Spinner } from '../components/Button';
import { Card, EmptyState, PageHeader } from '../components/Card';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { CopyButton } from '../components/CopyButton';
import { CheckboxField, TextField } from '../components/Field';
import { ErrorNotice, Notice } from '../components/Notice';
import { Badge } from '../components/StatusBadge';
import { Table } from '../components/Table';
import { AbsoluteTime, RelativeTime } from '../components/Time';
import { asApiError, useConfirmedAction, useLoad } from '../lib/hooks';
import { useSession } from '../lib/session';
import { apiFieldErrors, type FieldErrors, formLevelError, hasErrors, rules, validate } from '../lib/validation';

function activationLink(token: string): string {
  return `${window.location.origin}/activate?token=${encodeURIComponent(token)}`;
}

function AddUserForm({ onAdded }: { onAdded(user: CreatedUser): void }) {
  const [username, setUsername] = useState('');
  const [isAdmin, setIsAdmin] = useState(false);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [apiError, setApiError] = useState<ApiError>();
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const found = validate({ username: rules.username(username) });
    setErrors(found);
    setApiError(undefined);
    if (hasErrors(found)) return;
    setBusy(true);
    try {
      onAdded(await usersApi.create({ username, isAdmin }));
      setUsername('');
      setIsAdmin(false);
    } catch (caught) {
      const error = asApiError(caught);
      setApiError(error);
      setErrors({ ...apiFieldErrors(error), ...(error.code === 'USERNAME_TAKEN' ? { username: error.message } : {}) });
    } finally {
      setBusy(false);
    }
  };

  return (
    <form onSubmit={submit} noValidate className="space-y-4">
      <ErrorNotice error={apiError?.code === 'USERNAME_TAKEN' ? undefined : formLevelError(apiError, ['username'])} />
      <TextField
        label="Username"
        name="username"
        value={username}
        onChange={(event) => setUsername(event.target.value)}
        error={errors.username}
        help="Lowercase letters, digits, - and _. It names the user's folders."
        autoComplete="off"
        autoCapitalize="none"
        spellCheck={false}
      />
      <CheckboxField label="Administrator" description="Can manage users, peers, synchronization and settings." checked={isAdmin} onChange={(event) => setIsAdmin(event.target.checked)} />
      <Button type="submit" busy={busy}>
        Add user
      </Button>
    </form>
  );
}

/** A link just made: for a new user, or a new one for an existing user (whose earlier links stopped working). */
function ActivationLinkNotice({ user, reissued, onClose }: { user: CreatedUser; reissued: boolean; onClose(): void }) {
  const link = activationLink(user.activationToken);
  const placed = useRef<HTMLDivElement>(null);
  // on a phone the notice lands below the list the button was in: bring it into view
  useEffect(() => placed.current?.scrollIntoView({ block: 'nearest' }), [user.activationToken]);
  const title = reissued ? `A new link for ${user.username}. Send it to them:` : `${user.username} was added. Send them this activation link:`;
  const use = user.activated
    ? 'With it they choose a new password; their files and encryption key stay as they are, and their other sessions end.'
    : 'With it they choose a password and receive their encryption key.';
  return (
    <Notice tone="success" title={title}>
      <div ref={placed} className="space-y-2">
        <output data-testid="activation-link" className="block rounded border border-green-300 bg-white px-2 py-1.5 font-mono text-xs break-all text-slate-900 select-all">
          {link}
        </output>
        <p>
          It works once, until <AbsoluteTime iso={user.activationExpiresAt} />. {use}
          {reissued && ' Earlier links no longer work.'}
        </p>
        <div className="flex flex-wrap items-center gap-2">
          <CopyButton text={link} label="Copy link" />
          <Button variant="ghost" size="sm" onClick={onClose}>
            Done
          </Button>
        </div>
      </div>
    </Notice>
  );
}

function linkExpired(user: User): boolean {
  return user.activationExpiresAt !== null && new Date(user.activationExpiresAt) < new Date();
}

function UserStatus({ user }: { user: User }) {
  if (user.activated) {
    return (
      <>
        <Badge tone="good">Active</Badge>
        {user.activationExpiresAt !== null && !linkExpired(user) && <Badge tone="neutral">Password reset link sent</Badge>}
      </>
    );
  }
  return linkExpired(user) ? <Badge tone="bad">Activation link expired</Badge> : <Badge tone="warn">Waiting for activation</Badge>;
}

/** Users: add one (and hand over the activation link), see who activated, delete. */
export function UsersPage() {
  const { me } = useSession();
  const users = useLoad(usersApi.list);
  const [added, setAdded] = useState<{ user: CreatedUser; reissued: boolean }>();
  const [linkError, setLinkError] = useState<ApiError>();
  const [linkBusyFor, setLinkBusyFor] = useState<number>();
  const newLink = async (user: User) => {
    setLinkError(undefined);
    setLinkBusyFor(user.id);
    try {
      setAdded({ user: await usersApi.newActivationLink(user.id), reissued: true });
      void users.reload();
    } catch (caught) {
      setLinkError(asApiError(caught));
    } finally {
      setLinkBusyFor(undefined);
    }
  };
  const deletion = useConfirmedAction((user: User) => usersApi.remove(user.id), users.reload);
  const keyChange = useConfirmedAction((asked: { user: User; awaiting: boolean }) => usersApi.setAwaitingKey(asked.user.id, asked.awaiting), users.reload);
  const change = keyChange.target;


  return (
    <>
      <PageHeader title="Users" description="Each user gets two shares: backup (encrypted and synced to the peers) and data (kept on this server only)." />
      <div className="grid gap-6 lg:grid-cols-[2fr_1fr]">
        <Card title="Accounts" labelId="users-list">
          <ErrorNotice error={users.error} />
          <ErrorNotice error={linkError} />
          {users.loading && !users.data && <Spinner label="Loading users…" />}
          {users.data?.length === 0 && <EmptyState>No user yet.</EmptyState>}
          {users.data && users.data.length > 0 && (
            <Table
              caption="Users"
              rows={users.data}
              rowKey={(user) => user.id}
              columns={[
                {
                  label: 'User',
                  cell: (user) => (
                    <span className="font-medium text-slate-900">
                      {user.username}
                      {user.id === me.id && <span className="font-normal text-slate-600"> (you)</span>}
                    </span>
                  ),
                },
                { label: 'Role', cell: (user) => (user.isAdmin ? 'Administrator' : 'User') },
                {
                  label: 'Status',
                  cell: (user) => (
                    <span className="flex flex-wrap gap-1">
                      <UserStatus user={user} />
                      {user.awaitingKey && <Badge tone="warn">Awaiting key</Badge>}
                    </span>
                  ),
                },
                { label: 'Added', cell: (user) => <RelativeTime iso={user.createdAt} /> },
                {
                  label: 'Actions',
                  bare: true,
                  align: 'right',
                  cell: (user) =>
                    user.id === me.id ? null : (
                      <span className="inline-flex flex-wrap justify-end gap-2">
                        <Button
                          variant="ghost"
                          size="sm"
                          busy={linkBusyFor === user.id}
                          onClick={() => void newLink(user)}
                          aria-label={`New activation link for ${user.username}`}
                          title={user.activated ? 'A link to choose a new password; files and key stay' : 'A new link to activate the account'}
                        >
                          New link
                        </Button>
                        {user.activated && (
                          <Button
                            variant="ghost"
                            size="sm"
                            onClick={() => keyChange.ask({ user, awaiting: !user.awaitingKey })}
                            aria-label={user.awaitingKey ? `Withdraw the key request of ${user.username}` : `Mark ${user.username} as awaiting their key`}
                          >
                            {user.awaitingKey ? 'Withdraw key request' : 'Awaiting key…'}
                          </Button>
                        )}
                        <Button variant="secondary" size="sm" onClick={() => deletion.ask(user)} aria-label={`Delete ${user.username}`}>
                          Delete
                        </Button>
                      </span>
                    ),
                },
              ]}
            />
          )}
        </Card>
        <div className="space-y-4">
          {added && <ActivationLinkNotice user={added.user} reissued={added.reissued} onClose={() => setAdded(undefined)} />}
          <Card title="Add a user" labelId="users-add">
            <AddUserForm
              onAdded={(user) => {
                setAdded({ user, reissued: false });
                void users.reload();
              }}
            />
          </Card>
        </div>
      </div>
      <ConfirmDialog
        open={deletion.target !== undefined}
        title={`Delete ${deletion.target?.username ?? ''}?`}
        confirmLabel="Delete user"
        busy={deletion.busy}
        error={deletion.error}
        onConfirm={() => void deletion.confirm()}
        onCancel={deletion.cancel}
      >
        <p>The account and its sessions are removed at once. This cannot be undone.</p>
        <p>Its folders on this server stay on disk for you to keep or remove. Its backups on the peers stay too; only the user's own key can still decrypt them.</p>
      </ConfirmDialog>
      <ConfirmDialog
        open={change !== undefined}
        title={change?.awaiting ? `Mark ${change.user.username} as awaiting their key?` : `Withdraw the key request of ${change?.user.username ?? ''}?`}
        confirmLabel={change?.awaiting ? 'Mark as awaiting key' : 'Withdraw request'}
        busy={keyChange.busy}
        error={keyChange.error}
        onConfirm={() => void keyChange.confirm()}
        onCancel={keyChange.cancel}
      >
        {change?.awaiting ? (
          <>
            <p>
              For a server rebuilt without this user&apos;s key. When {change.user.username} next signs in, they are asked for the key they kept. A key that opens their backups on
              the peers replaces the one their account got at activation.
            </p>
            <p>Only for an account recreated after a rebuild without a recovery kit, whose backups its current key cannot open.</p>
          </>
        ) : (
          <p>{change?.user.username} will no longer be asked for their key.</p>
        )}
      </ConfirmDialog>
    </>
  );
}
