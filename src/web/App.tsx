import { type ReactNode, useCallback, useEffect, useMemo, useState } from 'react';
import { authApi, setupApi } from './api/client';
import { type ApiError, SIGNED_OUT_EVENT } from './api/http';
import type { Me } from './api/types';
import { Spinner } from './components/Button';
import { Layout, PublicLayout } from './components/Layout';
import { ErrorNotice, Notice } from './components/Notice';
import { asApiError } from './lib/hooks';
import { Link, Redirect, useRouter } from './lib/router';
import { SessionProvider, type SessionValue } from './lib/session';
import { ActivatePage } from './pages/ActivatePage';
import { FilesPage } from './pages/FilesPage';
import { AdminDashboardPage } from './pages/AdminDashboardPage';
import { AdminRestorePage } from './pages/AdminRestorePage';
import { IncomingPage } from './pages/IncomingPage';
import { LoginPage } from './pages/LoginPage';
import { MyBackupPage } from './pages/MyBackupPage';
import { PeersPage } from './pages/PeersPage';
import { RestorePage } from './pages/RestorePage';
import { SettingsPage } from './pages/SettingsPage';
import { SetupPage } from './pages/SetupPage';
import { SyncPage } from './pages/SyncPage';
import { UsersPage } from './pages/UsersPage';

type Boot = { state: 'loading' } | { state: 'failed'; error: ApiError } | { state: 'not-set-up' } | { state: 'signed-out' } | { state: 'signed-in'; me: Me };

/** Page titles and components by path; `admin` pages need an administrator. */
const PAGES: Record<string, { title: string; admin: boolean; render(): ReactNode }> = {
  '/': { title: 'My backup', admin: false, render: () => <MyBackupPage /> },
  '/files': { title: 'Files', admin: false, render: () => <FilesPage /> },
  '/restore': { title: 'Restore', admin: false, render: () => <RestorePage /> },
  '/admin': { title: 'Overview', admin: true, render: () => <AdminDashboardPage /> },
  '/admin/users': { title: 'Users', admin: true, render: () => <UsersPage /> },
  '/admin/peers': { title: 'Peers', admin: true, render: () => <PeersPage /> },
  '/admin/sync': { title: 'Synchronization', admin: true, render: () => <SyncPage /> },
  '/admin/incoming': { title: 'Incoming backups', admin: true, render: () => <IncomingPage /> },
  '/admin/restore': { title: 'Admin restore', admin: true, render: () => <AdminRestorePage /> },
  '/admin/settings': { title: 'Settings', admin: true, render: () => <SettingsPage /> },
};

/** The tab's title; `undefined` leaves it to a page further down. */
function usePageTitle(title: string | undefined, serverName?: string) {
  useEffect(() => {
    if (title !== undefined) document.title = [title, serverName, 'Anemone'].filter(Boolean).join(' · ');
  }, [title, serverName]);
}

function homeOf(me: Me): string {
  return me.isAdmin ? '/admin' : '/';
}

function SignedInPage({ me }: { me: Me }) {
  const { location } = useRouter();
  const page = PAGES[location.path];
  usePageTitle(page?.title ?? 'Not found', me.serverName);
  if (!page) {
    return (
      <Notice tone="warning" title="There is no page here">
        <Link to={homeOf(me)} className="font-medium underline">
          Go to the start page
        </Link>
      </Notice>
    );
  }
  if (page.admin && !me.isAdmin) {
    return (
      <Notice tone="warning" title="This page is for administrators">
        Ask an administrator of this server.{' '}
        <Link to="/" className="font-medium underline">
          Back to my backup
        </Link>
      </Notice>
    );
  }
  return page.render();
}

/** Finds out whether the server is set up and who is signed in, then shows the page for the path. */
export function App() {
  const { location, navigate } = useRouter();
  const [boot, setBoot] = useState<Boot>({ state: 'loading' });

  const check = useCallback(async () => {
    try {
      const { setUp } = await setupApi.status();
      if (!setUp) return setBoot({ state: 'not-set-up' });
      setBoot({ state: 'signed-in', me: await authApi.me() });
    } catch (caught) {
      const error = asApiError(caught);
      setBoot(error.status === 401 ? { state: 'signed-out' } : { state: 'failed', error });
    }
  }, []);

  useEffect(() => {
    void check();
    const onSignedOut = () => setBoot((current) => (current.state === 'signed-in' ? { state: 'signed-out' } : current));
    window.addEventListener(SIGNED_OUT_EVENT, onSignedOut);
    return () => window.removeEventListener(SIGNED_OUT_EVENT, onSignedOut);
  }, [check]);

  // the sign-in page shows at the address asked for, so signing in lands there
  const signIn = useCallback(
    (me: Me) => {
      setBoot({ state: 'signed-in', me });
      const stay = PAGES[location.path] !== undefined && location.path !== '/';
      if (!stay) navigate(homeOf(me), { replace: true });
    },
    [location.path, navigate],
  );

  const session = useMemo<SessionValue | undefined>(
    () =>
      boot.state === 'signed-in'
        ? {
            me: boot.me,
            signOut: async () => {
              await authApi.logout().catch(() => undefined);
              setBoot({ state: 'signed-out' });
              navigate('/login', { replace: true });
            },
          }
        : undefined,
    [boot, navigate],
  );

  usePageTitle(
    location.path === '/activate' ? 'Activate your account' : boot.state === 'not-set-up' ? 'Set up' : boot.state === 'signed-out' ? 'Sign in' : undefined,
  );

  // the activation link works whoever is signed in on this browser
  if (location.path === '/activate') {
    return (
      <ActivatePage
        onDone={(me) => {
          if (me) signIn(me);
          else {
            setBoot({ state: 'signed-out' });
            navigate('/login', { replace: true });
          }
        }}
      />
    );
  }

  switch (boot.state) {
    case 'loading':
      return (
        <div className="flex min-h-screen items-center justify-center text-slate-600">
          <Spinner label="Loading…" />
        </div>
      );
    case 'failed':
      return (
        <PublicLayout title="Anemone is not answering">
          <ErrorNotice error={boot.error} />
        </PublicLayout>
      );
    case 'not-set-up':
      return <SetupPage onDone={() => void check().then(() => navigate('/admin', { replace: true }))} />;
    case 'signed-out':
      return <LoginPage onSignedIn={signIn} />;
    case 'signed-in':
      // nothing to do on these once signed in
      if (location.path === '/login' || location.path === '/setup') return <Redirect to={homeOf(boot.me)} />;
      return (
        <SessionProvider value={session as SessionValue}>
          <Layout>
            <SignedInPage me={boot.me} />
          </Layout>
        </SessionProvider>
      );
  }
}
