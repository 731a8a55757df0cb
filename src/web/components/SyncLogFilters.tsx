import type { Peer, SyncLogQuery, User } from '../api/types';

/** The statuses the log filters by (the query's; a cancelled run is stored as interrupted). */
type StatusFilter = NonNullable<SyncLogQuery['status']>;
import { CheckboxField, SelectField } from './Field';

export interface SyncLogFilterValues {
  status: '' | StatusFilter;
  user: string;
  share: string;
  peer: string;
  /** Runs that changed nothing: one line per day (fold=quiet). */
  foldQuiet: boolean;
}

export const NO_FILTERS: SyncLogFilterValues = { status: '', user: '', share: '', peer: '', foldQuiet: true };

const STATUS_FILTERS: { value: '' | StatusFilter; label: string }[] = [
  { value: '', label: 'All' },
  { value: 'running', label: 'Running' },
  { value: 'success', label: 'Success' },
  { value: 'failure', label: 'Failed' },
  { value: 'interrupted', label: 'Interrupted' },
];

const SHARES = ['backup', 'data'];

/** The sync log's filters: user, share, peer, status, and whether quiet runs fold into one line a day. */
export function SyncLogFilters({
  value,
  onChange,
  users,
  peers,
}: {
  value: SyncLogFilterValues;
  onChange(value: SyncLogFilterValues): void;
  users: User[];
  peers: Peer[];
}) {
  const set = <K extends keyof SyncLogFilterValues>(key: K, next: SyncLogFilterValues[K]) => onChange({ ...value, [key]: next });
  return (
    <div className="space-y-3">
      <div className="grid gap-3 sm:grid-cols-2 lg:grid-cols-4">
        <SelectField label="User" value={value.user} onChange={(event) => set('user', event.target.value)}>
          <option value="">All users</option>
          {users.map((user) => (
            <option key={user.id} value={user.username}>
              {user.username}
            </option>
          ))}
        </SelectField>
        <SelectField label="Share" value={value.share} onChange={(event) => set('share', event.target.value)}>
          <option value="">All shares</option>
          {SHARES.map((share) => (
            <option key={share} value={share}>
              {share}
            </option>
          ))}
        </SelectField>
        <SelectField label="Peer" value={value.peer} onChange={(event) => set('peer', event.target.value)}>
          <option value="">All peers</option>
          {peers.map((peer) => (
            <option key={peer.id} value={peer.name}>
              {peer.name}
            </option>
          ))}
        </SelectField>
        <SelectField label="Status" value={value.status} onChange={(event) => set('status', event.target.value as '' | StatusFilter)}>
          {STATUS_FILTERS.map((filter) => (
            <option key={filter.value} value={filter.value}>
              {filter.label}
            </option>
          ))}
        </SelectField>
      </div>
      <CheckboxField
        label="Fold runs that changed nothing"
        description="One line per day, share and peer for the runs that sent, deleted and skipped nothing."
        checked={value.foldQuiet}
        onChange={(event) => set('foldQuiet', event.target.checked)}
      />
    </div>
  );
}
