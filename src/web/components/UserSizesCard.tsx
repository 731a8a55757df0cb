import type { Dashboard } from '../api/types';
import { formatBytes, formatCount } from '../lib/format';
import { Card } from './Card';
import { Table } from './Table';

/** What each user keeps on this server, both shares added up (measured at most every half minute). */
export function UserSizesCard({ users }: { users: Dashboard['users'] }) {
  if (users.length === 0) return null;
  return (
    <Card title="Storage by user" labelId="dashboard-user-sizes" description="Files in each user's shares on this server, backup and data together.">
      <Table
        caption="Size of each user's shares"
        rows={users}
        rowKey={(user) => user.user}
        columns={[
          { label: 'User', cell: (user) => user.user },
          { label: 'Files', cell: (user) => formatCount(user.fileCount) },
          { label: 'Size', cell: (user) => formatBytes(user.sizeBytes) },
        ]}
      />
    </Card>
  );
}
