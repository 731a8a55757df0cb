import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { UserRow } from '../db/index.js';
import { AnemoneError } from '../errors/catalogue.js';
import { BasicSignIns } from './basic-sign-ins.js';

function userRow(overrides: Partial<UserRow> = {}): UserRow {
  return {
    id: 1,
    username: 'alice',
    isAdmin: false,
    passwordHash: 'hash-1',
    wrappedKey: 'wrapped',
    keyCheck: 'check',
    activationExpiresAt: null,
    activatedAt: '2026-01-01T00:00:00.000Z',
    createdAt: '2026-01-01T00:00:00.000Z',
    ...overrides,
  };
}

/** A users table of one row that a test changes, a clock it moves, and a password check that counts its calls. */
function setUp() {
  const state = { user: userRow() as UserRow | undefined, now: 0, checks: 0 };
  const repos = { users: { findById: (id: number) => (state.user?.id === id ? state.user : undefined) } };
  const verify = async (username: string, password: string): Promise<UserRow> => {
    state.checks += 1;
    await new Promise((resolve) => setTimeout(resolve, 5));
    if (state.user && username === state.user.username && password === 'right') return state.user;
    throw new AnemoneError('BAD_CREDENTIALS');
  };
  const signIns = new BasicSignIns(repos as never, verify, () => state.now, 60_000);
  return { state, signIns };
}

describe('BasicSignIns: verified Basic passwords remembered, not hashed again', () => {
  it('remembers a verified pair until its time is up', async () => {
    const { state, signIns } = setUp();
    assert.equal(signIns.remembered('alice', 'right'), undefined);
    await signIns.verify('alice', 'right');
    assert.equal(signIns.remembered('alice', 'right')?.id, 1);
    state.now = 59_999;
    assert.equal(signIns.remembered('alice', 'right')?.id, 1);
    state.now = 60_000;
    assert.equal(signIns.remembered('alice', 'right'), undefined);
    assert.equal(state.checks, 1);
  });

  it('does not remember a wrong password, nor take another password for a remembered one', async () => {
    const { signIns } = setUp();
    await assert.rejects(signIns.verify('alice', 'wrong'), { code: 'BAD_CREDENTIALS' });
    assert.equal(signIns.remembered('alice', 'wrong'), undefined);
    await signIns.verify('alice', 'right');
    assert.equal(signIns.remembered('alice', 'Right'), undefined);
    assert.equal(signIns.remembered('bob', 'right'), undefined);
  });

  it('forgets a pair once the password hash changes or the account is gone', async () => {
    const { state, signIns } = setUp();
    await signIns.verify('alice', 'right');
    state.user = userRow({ passwordHash: 'hash-2' });
    assert.equal(signIns.remembered('alice', 'right'), undefined);
    state.user = userRow();
    // forgotten for good: the old hash coming back does not revive it
    assert.equal(signIns.remembered('alice', 'right'), undefined);
    await signIns.verify('alice', 'right');
    state.user = undefined;
    assert.equal(signIns.remembered('alice', 'right'), undefined);
  });

  it('hashes the same pair once when it is asked for at the same time', async () => {
    const { state, signIns } = setUp();
    const first = signIns.verify('alice', 'right');
    assert.equal(signIns.isBeingChecked('alice', 'right'), true);
    assert.equal(signIns.isBeingChecked('alice', 'other'), false);
    await Promise.all([first, signIns.verify('alice', 'right'), signIns.verify('alice', 'right')]);
    assert.equal(state.checks, 1);
    assert.equal(signIns.isBeingChecked('alice', 'right'), false);
  });
});
