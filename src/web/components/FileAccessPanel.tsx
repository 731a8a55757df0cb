import { Card } from './Card';
import { CopyButton } from './CopyButton';

/** Where this server serves WebDAV (PRODUCT.md §10); the page's own scheme, host and port, so a proxy's address is the one shown. */
function davAddress(): { https: string; davs: string } {
  const { protocol, host } = window.location;
  return { https: `${protocol}//${host}/dav/`, davs: `davs://${host}/dav/` };
}

function Address({ label, value }: { label: string; value: string }) {
  return (
    <div className="flex flex-wrap items-center gap-2">
      <span className="text-sm text-slate-600">{label}</span>
      <code className="rounded-sm bg-slate-100 px-2 py-1 font-mono text-sm break-all text-slate-900">{value}</code>
      <CopyButton text={value} label="Copy address" />
    </div>
  );
}

/** How a user reaches their two shares from their own computer or phone: the WebDAV address and each system's way in. */
export function FileAccessPanel() {
  const address = davAddress();
  return (
    <Card
      title="Reach your files"
      labelId="file-access"
      description="Your backup and data folders open as a network drive over WebDAV. Sign in with the username and password you use here."
    >
      <div className="space-y-4 text-sm text-slate-700">
        <Address label="Address" value={address.https} />
        <ul className="list-disc space-y-1 pl-5">
          <li>
            <strong>Windows:</strong> File Explorer → This PC → Map network drive, and paste the address.
          </li>
          <li>
            <strong>macOS:</strong> Finder → Go → Connect to Server (⌘K), and paste the address.
          </li>
          <li>
            <strong>Linux:</strong> Files → Other Locations → Connect to Server, with <code className="font-mono">{address.davs}</code>.
          </li>
          <li>
            <strong>Phones and rclone:</strong> any WebDAV app or <code className="font-mono">rclone config</code> (type webdav, vendor other) with the address.
          </li>
        </ul>
        <p className="text-slate-600">
          Files you put in <strong>backup</strong> are sent to the peer servers with the next sync; <strong>data</strong> stays on this server. If this server uses its own
          certificate, your computer asks you to trust it once: compare its fingerprint with the one your administrator gives you. The guide <em>docs/file-access.md</em> has the
          details for each system.
        </p>
      </div>
    </Card>
  );
}
