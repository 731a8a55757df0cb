import { type ReactNode, useEffect, useState } from 'react';
import { Link, useRouter } from '../lib/router';
import { useSession } from '../lib/session';
import { ThemeSwitch } from './ThemeSwitch';

interface NavItem {
  to: string;
  label: string;
}

const USER_NAV: NavItem[] = [
  { to: '/', label: 'My backup' },
  { to: '/files', label: 'Files' },
  { to: '/restore', label: 'Restore' },
];

const ADMIN_NAV: NavItem[] = [
  { to: '/admin', label: 'Overview' },
  { to: '/admin/users', label: 'Users' },
  { to: '/admin/peers', label: 'Peers' },
  { to: '/admin/sync', label: 'Synchronization' },
  { to: '/admin/incoming', label: 'Incoming backups' },
  { to: '/admin/restore', label: 'Admin restore' },
  { to: '/admin/settings', label: 'Settings' },
];

function NavLinks({ items, current, onNavigate }: { items: NavItem[]; current: string; onNavigate(): void }) {
  return (
    <ul className="space-y-0.5">
      {items.map((item) => {
        const active = current === item.to;
        return (
          <li key={item.to}>
            <Link
              to={item.to}
              onClick={onNavigate}
              aria-current={active ? 'page' : undefined}
              className={`block rounded-md px-3 py-2 text-sm font-medium ${active ? 'bg-teal-50 text-teal-900' : 'text-slate-700 hover:bg-slate-100 hover:text-slate-900'}`}
            >
              {item.label}
            </Link>
          </li>
        );
      })}
    </ul>
  );
}

function Logo({ serverName }: { serverName: string }) {
  return (
    <Link to="/" className="flex min-w-0 items-center gap-2 rounded-md">
      <img src="/favicon.svg" alt="" className="size-7 shrink-0" />
      <span className="min-w-0">
        <span className="block text-sm leading-tight font-semibold text-slate-900">Anemone</span>
        <span className="block truncate text-xs leading-tight text-slate-600">{serverName}</span>
      </span>
    </Link>
  );
}

/** The frame of every signed-in page: the navigation (a side bar, or a menu on a phone) and the page. */
export function Layout({ children }: { children: ReactNode }) {
  const { me, signOut } = useSession();
  const { location } = useRouter();
  const [menuOpen, setMenuOpen] = useState(false);

  useEffect(() => setMenuOpen(false), [location.path]);

  const nav = (
    <nav aria-label="Main" className="space-y-6">
      <NavLinks items={USER_NAV} current={location.path} onNavigate={() => setMenuOpen(false)} />
      {me.isAdmin && (
        <div>
          <p className="px-3 pb-1 text-xs font-semibold tracking-wide text-slate-600 uppercase">Administration</p>
          <NavLinks items={ADMIN_NAV} current={location.path} onNavigate={() => setMenuOpen(false)} />
        </div>
      )}
    </nav>
  );

  const account = (
    <div className="space-y-2 border-t border-slate-200 pt-4">
      <p className="px-3 text-sm text-slate-700">
        Signed in as <span className="font-medium text-slate-900">{me.username}</span>
      </p>
      <button type="button" onClick={() => void signOut()} className="w-full rounded-md px-3 py-2 text-left text-sm font-medium text-slate-700 hover:bg-slate-100">
        Sign out
      </button>
      <ThemeSwitch />
    </div>
  );

  return (
    <div className="min-h-screen md:flex">
      <a href="#main" className="sr-only focus:not-sr-only focus:absolute focus:top-2 focus:left-2 focus:z-50 focus:rounded focus:bg-white focus:px-3 focus:py-2">
        Skip to content
      </a>
      {/* phone: a bar with a menu button */}
      <header className="sticky top-0 z-30 flex items-center justify-between border-b border-slate-200 bg-white px-4 py-2 md:hidden">
        <Logo serverName={me.serverName} />
        <button
          type="button"
          aria-expanded={menuOpen}
          aria-controls="mobile-menu"
          onClick={() => setMenuOpen((open) => !open)}
          className="rounded-md p-2 text-slate-700 hover:bg-slate-100"
        >
          <span className="sr-only">{menuOpen ? 'Close menu' : 'Open menu'}</span>
          <svg viewBox="0 0 24 24" className="size-6" fill="none" stroke="currentColor" strokeWidth="2" aria-hidden="true">
            {menuOpen ? <path d="M6 6l12 12M18 6L6 18" /> : <path d="M4 7h16M4 12h16M4 17h16" />}
          </svg>
        </button>
      </header>
      {menuOpen && (
        <div id="mobile-menu" className="fixed inset-x-0 top-[53px] bottom-0 z-20 overflow-y-auto border-b border-slate-200 bg-white p-4 md:hidden">
          {nav}
          <div className="mt-6">{account}</div>
        </div>
      )}
      {/* laptop: a side bar */}
      <aside className="hidden w-64 shrink-0 border-r border-slate-200 bg-white md:block">
        <div className="sticky top-0 flex h-screen flex-col justify-between gap-6 overflow-y-auto p-4">
          <div className="space-y-6">
            <Logo serverName={me.serverName} />
            {nav}
          </div>
          {account}
        </div>
      </aside>
      <main id="main" className="min-w-0 flex-1 px-4 py-6 sm:px-6 lg:px-10 lg:py-8">
        <div className="mx-auto max-w-6xl">{children}</div>
      </main>
    </div>
  );
}

/** The frame of the pages before sign-in: a centred card. */
export function PublicLayout({ title, description, children, wide = false }: { title: string; description?: ReactNode; children: ReactNode; wide?: boolean }) {
  return (
    <main className="flex min-h-screen items-start justify-center px-4 py-10 sm:items-center">
      <div className={`w-full ${wide ? 'max-w-xl' : 'max-w-md'}`}>
        <div className="mb-6 flex items-center justify-center gap-2">
          <img src="/favicon.svg" alt="" className="size-9" />
          <span className="text-xl font-semibold text-slate-900">Anemone</span>
        </div>
        <div className="rounded-lg border border-slate-200 bg-white p-6 shadow-sm sm:p-8">
          <h1 className="text-xl font-semibold text-slate-900">{title}</h1>
          {description && <p className="mt-1 text-sm text-slate-600">{description}</p>}
          <div className="mt-6">{children}</div>
        </div>
      </div>
    </main>
  );
}
