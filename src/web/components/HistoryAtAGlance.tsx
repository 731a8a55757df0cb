import { useMemo, useState } from 'react';
import { statsApi } from '../api/client';
import type { AdminStatsHistory, StatsHistory } from '../api/types';
import { daysBetween, todayUtc } from '../lib/days';
import { formatBytes, formatCount } from '../lib/format';
import { useLoad } from '../lib/hooks';
import { Spinner } from './Button';
import { Card, EmptyState } from './Card';
import { SelectField } from './Field';
import { type ChartSeries, HistoryChart } from './HistoryChart';
import { ErrorNotice } from './Notice';

const PERIODS = [30, 90, 365];

/** The charts' data: one label per day of the period, each share's sizes and the bytes sent on them. */
function chartData(history: StatsHistory) {
  const labels = daysBetween(history.since, todayUtc());
  const sizes: ChartSeries[] = history.shares.map((share) => {
    const byDay = new Map(share.samples.map((sample) => [sample.day, sample.bytes]));
    return { label: `${share.user}/${share.share}`, values: labels.map((day) => byDay.get(day) ?? null) };
  });
  const sentByDay = new Map(history.bytesSentPerDay.map((day) => [day.day, day.bytes]));
  const sent: ChartSeries[] = [{ label: 'Bytes sent', values: labels.map((day) => sentByDay.get(day) ?? 0) }];
  return { labels, sizes, sent };
}

function sizeSummary(history: StatsHistory): string {
  if (history.shares.length === 0) return 'No share has been measured yet.';
  return `Share sizes since ${history.since}: ${history.shares
    .map((share) => {
      const last = share.samples.at(-1);
      return `${share.user}/${share.share} ${formatBytes(last?.bytes ?? 0)} on ${last?.day ?? ''}`;
    })
    .join('; ')}.`;
}

function sentSummary(history: StatsHistory): string {
  const total = history.bytesSentPerDay.reduce((sum, day) => sum + day.bytes, 0);
  return `${formatBytes(total)} sent since ${history.since}, on ${formatCount(history.bytesSentPerDay.length, 'day')} with syncs.`;
}

/** A chart's numbers, folded under it: the text alternative of the canvas. The last two columns are figures, right-aligned. */
function NumbersTable({ label, columns, rows }: { label: string; columns: string[]; rows: { key: string; cells: string[] }[] }) {
  const align = (index: number) => (index >= columns.length - 2 && index > 0 ? 'text-right' : '');
  return (
    <details className="text-sm text-slate-700">
      <summary className="cursor-pointer font-medium">The numbers</summary>
      <table className="mt-2 w-full text-left" aria-label={label}>
        <thead className="text-xs text-slate-600">
          <tr>
            {columns.map((column, index) => (
              <th key={column} scope="col" className={align(index)}>
                {column}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={row.key}>
              {row.cells.map((cell, index) => (
                <td key={columns[index]} className={align(index)}>
                  {cell}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </details>
  );
}

/** Each share's size over time and the bytes sent per day, as charts with their numbers in tables. */
function HistoryCharts({ history }: { history: StatsHistory }) {
  const { labels, sizes, sent } = useMemo(() => chartData(history), [history]);
  return (
    <div className="grid gap-6 lg:grid-cols-2">
      <figure className="min-w-0 space-y-2" aria-labelledby="chart-share-sizes">
        <figcaption id="chart-share-sizes" className="text-sm font-medium text-slate-800">
          Size of each share
        </figcaption>
        {history.shares.length === 0 ? <EmptyState>No share has been measured yet: sizes are recorded after each sync.</EmptyState> : <HistoryChart kind="line" labels={labels} series={sizes} summary={sizeSummary(history)} />}
        {history.shares.length > 0 && (
          <NumbersTable
            label="Share sizes by day"
            columns={['Day', 'Share', 'Files', 'Size']}
            rows={history.shares.flatMap((share) =>
              share.samples.map((sample) => ({
                key: `${share.shareId}-${sample.day}`,
                cells: [sample.day, `${share.user}/${share.share}`, formatCount(sample.files), formatBytes(sample.bytes)],
              })),
            )}
          />
        )}
      </figure>
      <figure className="min-w-0 space-y-2" aria-labelledby="chart-bytes-sent">
        <figcaption id="chart-bytes-sent" className="text-sm font-medium text-slate-800">
          Bytes sent per day
        </figcaption>
        {history.bytesSentPerDay.length === 0 ? <EmptyState>No sync ran in this period.</EmptyState> : <HistoryChart kind="bar" labels={labels} series={sent} summary={sentSummary(history)} />}
        {history.bytesSentPerDay.length > 0 && (
          <NumbersTable
            label="Bytes sent by day"
            columns={['Day', 'Runs', 'Sent']}
            rows={history.bytesSentPerDay.map((day) => ({ key: day.day, cells: [day.day, formatCount(day.runs), formatBytes(day.bytes)] }))}
          />
        )}
      </figure>
    </div>
  );
}

function PeriodSelect({ days, onChange }: { days: number; onChange(days: number): void }) {
  return (
    <div className="w-36">
      <SelectField label="Period" value={days} onChange={(event) => onChange(Number(event.target.value))}>
        {PERIODS.map((period) => (
          <option key={period} value={period}>
            {`Last ${period} days`}
          </option>
        ))}
      </SelectField>
    </div>
  );
}

/** How full a disk or a quota is; amber from 90 % on. */
function UsageBar({ used, of, label }: { used: number; of: number; label: string }) {
  const share = of > 0 ? Math.min(100, Math.round((used / of) * 100)) : 0;
  return (
    <div role="meter" aria-label={label} aria-valuemin={0} aria-valuemax={100} aria-valuenow={share} aria-valuetext={`${share} % used`} className="h-2 overflow-hidden rounded-full bg-slate-200">
      <div className={`h-full rounded-full ${share >= 90 ? 'bg-amber-500' : 'bg-teal-600'}`} style={{ width: `${share}%` }} />
    </div>
  );
}

const FOLDER_LABELS = { shares: "Users' shares", incoming: 'Backups stored for peers' } as const;

/** Free space where the shares and the incoming backups live, and what each peer stores here against its quota. */
function RoomCard({ history }: { history: AdminStatsHistory }) {
  return (
    <Card title="Disk space" labelId="dashboard-room" description="Free space on the disks of this server, and what it stores for its peers.">
      <div className="space-y-4">
        <ul className="space-y-3">
          {history.disks.map((disk) => (
            <li key={disk.folder} className="space-y-1">
              <p className="flex justify-between gap-3 text-sm">
                <span className="font-medium text-slate-900">{FOLDER_LABELS[disk.folder]}</span>
                <span className="text-slate-700">{`${formatBytes(disk.freeBytes)} free of ${formatBytes(disk.totalBytes)}`}</span>
              </p>
              <UsageBar used={disk.totalBytes - disk.freeBytes} of={disk.totalBytes} label={`${FOLDER_LABELS[disk.folder]}: disk used`} />
            </li>
          ))}
        </ul>
        {history.incoming.length === 0 ? (
          <p className="text-sm text-slate-600">No peer stores backups here.</p>
        ) : (
          <div className="space-y-2">
            <h3 id="stored-for-peers" className="text-sm font-semibold text-slate-900">
              Stored for peers
            </h3>
            <ul className="space-y-3" aria-labelledby="stored-for-peers">
              {history.incoming.map((source) => (
                <li key={source.source} className="space-y-1">
                  <p className="flex justify-between gap-3 text-sm">
                    <span className="font-medium text-slate-900">{source.source}</span>
                    <span className="text-slate-700">
                      {source.maxBytes === null ? `${formatBytes(source.bytesStored)} stored, no quota` : `${formatBytes(source.bytesStored)} of ${formatBytes(source.maxBytes)} quota`}
                    </span>
                  </p>
                  {source.maxBytes !== null && <UsageBar used={source.bytesStored} of={source.maxBytes} label={`${source.source}: quota used`} />}
                </li>
              ))}
            </ul>
          </div>
        )}
      </div>
    </Card>
  );
}

/** The administrator's overview: history charts of every share, free space, what peers store here. */
export function AdminHistoryAtAGlance() {
  const [days, setDays] = useState(90);
  const history = useLoad(() => statsApi.adminHistory(days), { deps: [days], pollMs: 60_000 });
  return (
    <div className="space-y-6">
      <Card title="History" labelId="dashboard-history" actions={<PeriodSelect days={days} onChange={setDays} />}>
        <ErrorNotice error={history.error} />
        {history.loading && !history.data && <Spinner label="Loading the history…" />}
        {history.data && <HistoryCharts history={history.data} />}
      </Card>
      {history.data && <RoomCard history={history.data} />}
    </div>
  );
}

/** My backup: the user's own shares over time and what their syncs sent. */
export function MyHistoryAtAGlance() {
  const [days, setDays] = useState(90);
  const history = useLoad(() => statsApi.myHistory(days), { deps: [days] });
  return (
    <Card title="History" labelId="my-history" actions={<PeriodSelect days={days} onChange={setDays} />}>
      <ErrorNotice error={history.error} />
      {history.loading && !history.data && <Spinner label="Loading the history…" />}
      {history.data && <HistoryCharts history={history.data} />}
    </Card>
  );
}
