import { type FormEvent, useState } from 'react';
import { tokensApi } from '../api/client';
import type { ApiToken, ApiTokenScope, CreatedApiToken } from '../api/types';
import { Button, Spinner } from './Button';
import { EmptyState } from './Card';
import { ConfirmDialog } from './ConfirmDialog';
import { CopyButton } from './CopyButton';
import { SelectField, TextField } from './Field';
import { ErrorNotice, Notice } from './Notice';
import { Table } from './Table';
import { RelativeTime } from './Time';
import { useConfirmedAction, useLoad } from '../lib/hooks';
import { formLevelError, rules, validate } from '../lib/validation';
import { useFormSubmit } from './useFormSubmit';

const SCOPES: { value: ApiTokenScope; label: string }[] = [{ value: 'metrics', label: 'metrics — read GET /metrics (Prometheus)' }];

function NewTokenForm({ onCreated }: { onCreated(token: CreatedApiToken): void }) {
  const [name, setName] = useState('');
  const [scope, setScope] = useState<ApiTokenScope>('metrics');
  const { errors, apiError, busy, submit } = useFormSubmit();

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    void submit(validate({ name: rules.apiTokenName(name) }), async () => {
      onCreated(await tokensApi.create({ name: name.trim(), scope }));
      setName('');
    });
  };

  // a name taken is said next to the name
  const nameTaken = apiError?.code === 'API_TOKEN_NAME_TAKEN' ? apiError.message : undefined;
  const formError = nameTaken ? undefined : formLevelError(apiError, ['name', 'scope']);
  return (
    <form onSubmit={onSubmit} noValidate className="grid gap-4 sm:grid-cols-[2fr_2fr_auto] sm:items-start">
      {formError && (
        <div className="sm:col-span-3">
          <ErrorNotice error={formError} />
        </div>
      )}
      <TextField label="Name" name="token-name" value={name} onChange={(event) => setName(event.target.value)} error={errors.name ?? nameTaken} help="What uses it, e.g. prometheus." autoComplete="off" />
      <SelectField label="Scope" name="token-scope" value={scope} onChange={(event) => setScope(event.target.value as ApiTokenScope)} error={errors.scope}>
        {SCOPES.map((option) => (
          <option key={option.value} value={option.value}>
            {option.label}
          </option>
        ))}
      </SelectField>
      <div className="sm:pt-6">
        <Button type="submit" busy={busy}>
          Create token
        </Button>
      </div>
    </form>
  );
}

function NewTokenNotice({ token, onClose }: { token: CreatedApiToken; onClose(): void }) {
  return (
    <Notice tone="success" title={`Token "${token.name}" created. Copy it now: it is not shown again.`}>
      <div className="space-y-2">
        <output data-testid="api-token-secret" className="block rounded border border-green-300 bg-white px-2 py-1.5 font-mono text-xs break-all text-slate-900 select-all">
          {token.token}
        </output>
        <p>
          Put it in a file the scraper reads (Prometheus: <code>bearer_token_file</code>); it is sent as <code>Authorization: Bearer …</code>. Lost? Revoke it and create another.
        </p>
        <div className="flex flex-wrap items-center gap-2">
          <CopyButton text={token.token} label="Copy token" />
          <Button variant="ghost" size="sm" onClick={onClose}>
            Done
          </Button>
        </div>
      </div>
    </Notice>
  );
}

/** Settings → API tokens: create one (its secret shown once), list them, revoke. */
export function ApiTokensPanel() {
  const tokens = useLoad(tokensApi.list);
  const [created, setCreated] = useState<CreatedApiToken>();
  const revocation = useConfirmedAction((token: ApiToken) => tokensApi.revoke(token.id), tokens.reload);

  return (
    <div className="space-y-5">
      <NewTokenForm
        onCreated={(token) => {
          setCreated(token);
          void tokens.reload();
        }}
      />
      {created && <NewTokenNotice token={created} onClose={() => setCreated(undefined)} />}
      <div className="border-t border-slate-200 pt-4">
        <ErrorNotice error={tokens.error} />
        {tokens.loading && !tokens.data && <Spinner label="Loading tokens…" />}
        {tokens.data?.length === 0 && <EmptyState>No API token yet.</EmptyState>}
        {tokens.data && tokens.data.length > 0 && (
          <Table
            caption="API tokens"
            rows={tokens.data}
            rowKey={(token) => token.id}
            columns={[
              { label: 'Name', cell: (token) => <span className="font-medium text-slate-900">{token.name}</span> },
              { label: 'Scope', cell: (token) => <code className="text-xs">{token.scope}</code> },
              { label: 'Created', cell: (token) => <RelativeTime iso={token.createdAt} /> },
              { label: 'Last used', cell: (token) => (token.lastUsedAt ? <RelativeTime iso={token.lastUsedAt} /> : 'Never') },
              {
                label: 'Actions',
                bare: true,
                align: 'right',
                cell: (token) => (
                  <Button variant="secondary" size="sm" onClick={() => revocation.ask(token)} aria-label={`Revoke ${token.name}`}>
                    Revoke
                  </Button>
                ),
              },
            ]}
          />
        )}
      </div>
      <ConfirmDialog
        open={revocation.target !== undefined}
        title={`Revoke ${revocation.target?.name ?? ''}?`}
        confirmLabel="Revoke token"
        busy={revocation.busy}
        error={revocation.error}
        onConfirm={() => void revocation.confirm()}
        onCancel={revocation.cancel}
      >
        <p>Whatever uses this token is refused from now on (401). This cannot be undone; create a new token to give access again.</p>
      </ConfirmDialog>
    </div>
  );
}
