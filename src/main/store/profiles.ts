/** Application profile rows and the active-profile setting. No secrets here: those live in the keychain. */
import { PROFILE_FLAVOURS, type ProfileFlavour } from '../../shared/iampass.ts';
import type { Store } from './db.ts';

/** One list of flavours for the whole app: src/shared/iampass.ts. */
export const FLAVOURS = PROFILE_FLAVOURS;
export type { ProfileFlavour };

export interface Profile {
  id: string;
  name: string;
  flavour: ProfileFlavour;
  baseUrl: string;
  applicationId: string;
  concurrency: number;
  /** False (default): users get a random opaque IAMPASS ID. True: the admin's own user ID is sent. */
  sendOwnIds: boolean;
  createdAt: number;
  updatedAt: number;
}

interface ProfileRow {
  id: string;
  name: string;
  flavour: ProfileFlavour;
  base_url: string;
  application_id: string;
  concurrency: number;
  send_own_ids: number;
  created_at: number;
  updated_at: number;
}

function fromRow(r: ProfileRow): Profile {
  return {
    id: r.id,
    name: r.name,
    flavour: r.flavour,
    baseUrl: r.base_url,
    applicationId: r.application_id,
    concurrency: r.concurrency,
    sendOwnIds: r.send_own_ids === 1,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

export function listProfiles(store: Store): Profile[] {
  return (store.db.prepare('SELECT * FROM profiles ORDER BY name COLLATE NOCASE').all() as unknown as ProfileRow[]).map(
    fromRow,
  );
}

export function getProfile(store: Store, id: string): Profile | null {
  const row = store.db.prepare('SELECT * FROM profiles WHERE id = ?').get(id) as unknown as ProfileRow | undefined;
  return row ? fromRow(row) : null;
}

export function findProfileByName(store: Store, name: string): Profile | null {
  const row = store.db.prepare('SELECT * FROM profiles WHERE name = ?').get(name) as unknown as ProfileRow | undefined;
  return row ? fromRow(row) : null;
}

export function insertProfile(store: Store, p: Profile): void {
  store.db
    .prepare(
      `INSERT INTO profiles (id, name, flavour, base_url, application_id, concurrency, send_own_ids, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    .run(
      p.id,
      p.name,
      p.flavour,
      p.baseUrl,
      p.applicationId,
      p.concurrency,
      p.sendOwnIds ? 1 : 0,
      p.createdAt,
      p.updatedAt,
    );
}

export function updateProfile(store: Store, p: Profile): void {
  store.db
    .prepare(
      `UPDATE profiles SET name = ?, flavour = ?, base_url = ?, application_id = ?, concurrency = ?, send_own_ids = ?, updated_at = ?
       WHERE id = ?`,
    )
    .run(p.name, p.flavour, p.baseUrl, p.applicationId, p.concurrency, p.sendOwnIds ? 1 : 0, p.updatedAt, p.id);
}

/** Deletes the profile and (by cascade) its users and sessions. */
export function deleteProfile(store: Store, id: string): boolean {
  return Number(store.db.prepare('DELETE FROM profiles WHERE id = ?').run(id).changes) > 0;
}

export function getSetting(store: Store, key: string): string | null {
  const row = store.db.prepare('SELECT value FROM settings WHERE key = ?').get(key) as { value: string } | undefined;
  return row?.value ?? null;
}

export function setSetting(store: Store, key: string, value: string | null): void {
  if (value === null) store.db.prepare('DELETE FROM settings WHERE key = ?').run(key);
  else
    store.db
      .prepare('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value')
      .run(key, value);
}

export const ACTIVE_PROFILE_KEY = 'active_profile_id';
