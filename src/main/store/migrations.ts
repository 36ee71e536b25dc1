/**
 * Ordered schema steps. Never edit a released step: add a new one.
 * `openStore` runs each pending step in its own transaction and bumps
 * `PRAGMA user_version` inside it.
 */
import type { DatabaseSync } from 'node:sqlite';
import { naturalKey } from '../../shared/user-order.ts';

export interface Migration {
  version: number;
  description: string;
  up(db: DatabaseSync): void;
}

/** GLOB pattern for 48 hex characters in a row: the form of an Application Secret. */
const HEX48_GLOB = `*${'[0-9A-Fa-f]'.repeat(48)}*`;

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'application profiles, settings, user directory',
    up(db) {
      db.exec(`
        CREATE TABLE profiles (
          id             TEXT PRIMARY KEY,
          name           TEXT NOT NULL COLLATE NOCASE UNIQUE,
          flavour        TEXT NOT NULL CHECK (flavour IN ('IAMPASS', 'Activeconnect', 'Sandbox')),
          base_url       TEXT NOT NULL,
          application_id TEXT NOT NULL,
          concurrency    INTEGER NOT NULL CHECK (concurrency BETWEEN 1 AND 64),
          created_at     INTEGER NOT NULL,
          updated_at     INTEGER NOT NULL
        ) STRICT;

        CREATE TABLE settings (
          key   TEXT PRIMARY KEY,
          value TEXT NOT NULL
        ) STRICT;

        CREATE TABLE users (
          id                INTEGER PRIMARY KEY,
          profile_id        TEXT NOT NULL REFERENCES profiles(id) ON DELETE CASCADE,
          user_id           TEXT NOT NULL,
          display_name      TEXT NOT NULL DEFAULT '',
          notes             TEXT NOT NULL DEFAULT '',
          iampass_id        TEXT NOT NULL,
          added_at          INTEGER NOT NULL,
          updated_at        INTEGER NOT NULL,
          device_state      TEXT NOT NULL DEFAULT 'unknown' CHECK (device_state IN ('registered', 'not_registered', 'unknown')),
          device_checked_at INTEGER,
          last_auth_at      INTEGER
        ) STRICT;
        CREATE UNIQUE INDEX users_profile_user ON users(profile_id, user_id);
        CREATE UNIQUE INDEX users_profile_iampass ON users(profile_id, iampass_id);
        CREATE INDEX users_profile_user_nocase ON users(profile_id, user_id COLLATE NOCASE);
        CREATE INDEX users_profile_name ON users(profile_id, display_name COLLATE NOCASE, id);
        CREATE INDEX users_profile_added ON users(profile_id, added_at, id);
        CREATE INDEX users_profile_state ON users(profile_id, device_state, id);
      `);
    },
  },
  {
    version: 2,
    description: 'sessions and the append-only audit log',
    up(db) {
      db.exec(`
        CREATE TABLE sessions (
          id                 TEXT PRIMARY KEY,
          profile_id         TEXT NOT NULL REFERENCES profiles(id) ON DELETE CASCADE,
          user_id            TEXT NOT NULL,
          methods            TEXT NOT NULL DEFAULT '[]',
          started_at         INTEGER NOT NULL,
          updated_at         INTEGER NOT NULL,
          status             TEXT NOT NULL,
          timeline           TEXT NOT NULL DEFAULT '[]',
          status_url         TEXT,
          logout_url         TEXT,
          session_token      TEXT,
          session_secret_enc BLOB
        ) STRICT;
        CREATE INDEX sessions_profile_started ON sessions(profile_id, started_at);
        CREATE INDEX sessions_profile_status ON sessions(profile_id, status);

        CREATE TABLE audit (
          id           INTEGER PRIMARY KEY,
          at           INTEGER NOT NULL,
          profile_id   TEXT,
          profile_name TEXT,
          action       TEXT NOT NULL,
          target       TEXT,
          outcome      TEXT NOT NULL CHECK (outcome IN ('ok', 'error')),
          error_code   TEXT
        ) STRICT;
        CREATE INDEX audit_at ON audit(at, id);
        CREATE INDEX audit_action_at ON audit(action, at);
        CREATE INDEX audit_profile_at ON audit(profile_id, at);

        CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
        CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
        -- Last line of defence: no link and nothing shaped like a secret.
        CREATE TRIGGER audit_no_secrets BEFORE INSERT ON audit
        WHEN NEW.target LIKE '%://%' OR NEW.target GLOB '${HEX48_GLOB}'
          OR NEW.profile_name LIKE '%://%' OR NEW.profile_name GLOB '${HEX48_GLOB}'
        BEGIN SELECT RAISE(ABORT, 'audit entries never carry links or secrets'); END;
      `);
    },
  },
  {
    version: 3,
    description: 'profiles: send the admin own user IDs to IAMPASS (default: random opaque IDs)',
    up(db) {
      db.exec(`ALTER TABLE profiles ADD COLUMN send_own_ids INTEGER NOT NULL DEFAULT 0 CHECK (send_own_ids IN (0, 1))`);
    },
  },
  {
    version: 4,
    description: 'intents: what the console is about to change at IAMPASS, recorded before the call',
    up(db) {
      db.exec(`
        CREATE TABLE intents (
          id           INTEGER PRIMARY KEY,
          profile_id   TEXT NOT NULL REFERENCES profiles(id) ON DELETE CASCADE,
          kind         TEXT NOT NULL CHECK (kind IN ('add', 'delete', 'lost_device', 'authenticate', 'logout')),
          user_id      TEXT NOT NULL,
          iampass_id   TEXT NOT NULL,
          display_name TEXT NOT NULL DEFAULT '',
          session_id   TEXT,
          job_id       TEXT,
          owner        TEXT NOT NULL,
          state        TEXT NOT NULL DEFAULT 'recorded' CHECK (state IN ('recorded', 'unknown')),
          created_at   INTEGER NOT NULL,
          updated_at   INTEGER NOT NULL
        ) STRICT;
        -- One claim per user: two processes never add (or delete) the same user twice.
        -- (The table holds only what is in flight; listing a profile's intents scans it.)
        CREATE UNIQUE INDEX intents_add_user ON intents(profile_id, user_id) WHERE kind = 'add';
        CREATE UNIQUE INDEX intents_delete_user ON intents(profile_id, user_id) WHERE kind = 'delete';
      `);
    },
  },
  {
    version: 5,
    description: 'users: natural sort keys, sort indexes on every column, trigram full-text search',
    up(db) {
      db.exec(`
        ALTER TABLE users ADD COLUMN user_key TEXT NOT NULL DEFAULT '';
        ALTER TABLE users ADD COLUMN name_key TEXT NOT NULL DEFAULT '';
      `);
      // The keys are computed in JS (Unicode normalization SQLite lacks): existing rows once here, new ones on write.
      const update = db.prepare('UPDATE users SET user_key = ?, name_key = ? WHERE id = ?');
      const rows = db.prepare('SELECT id, user_id, display_name FROM users');
      rows.setReturnArrays(true);
      for (const r of rows.all() as unknown as [number, string, string][])
        update.run(naturalKey(r[1]), naturalKey(r[2]), r[0]);
      db.exec(`
        -- The NOCASE indexes of version 1 served the columnar snapshot's order; the natural keys replace them.
        DROP INDEX users_profile_user_nocase;
        DROP INDEX users_profile_name;
        CREATE INDEX users_profile_user_key ON users(profile_id, user_key, id);
        CREATE INDEX users_profile_name_key ON users(profile_id, name_key, id);
        CREATE INDEX users_profile_checked ON users(profile_id, device_checked_at, id);
        CREATE INDEX users_profile_last_auth ON users(profile_id, last_auth_at, id);
        -- Substring search: trigrams of the three searchable columns (external content: the text stays in users).
        CREATE VIRTUAL TABLE users_fts USING fts5(
          user_id, display_name, iampass_id,
          content = 'users', content_rowid = 'id',
          tokenize = 'trigram remove_diacritics 1'
        );
        INSERT INTO users_fts(users_fts) VALUES ('rebuild');
        CREATE TRIGGER users_fts_insert AFTER INSERT ON users BEGIN
          INSERT INTO users_fts(rowid, user_id, display_name, iampass_id)
          VALUES (new.id, new.user_id, new.display_name, new.iampass_id);
        END;
        CREATE TRIGGER users_fts_delete AFTER DELETE ON users BEGIN
          INSERT INTO users_fts(users_fts, rowid, user_id, display_name, iampass_id)
          VALUES ('delete', old.id, old.user_id, old.display_name, old.iampass_id);
        END;
        CREATE TRIGGER users_fts_update AFTER UPDATE OF user_id, display_name, iampass_id ON users BEGIN
          INSERT INTO users_fts(users_fts, rowid, user_id, display_name, iampass_id)
          VALUES ('delete', old.id, old.user_id, old.display_name, old.iampass_id);
          INSERT INTO users_fts(rowid, user_id, display_name, iampass_id)
          VALUES (new.id, new.user_id, new.display_name, new.iampass_id);
        END;
      `);
    },
  },
  {
    version: 6,
    description: 'invitations: contacts, per-profile email settings, and every invitation sent (intent first)',
    up(db) {
      db.exec(`
        CREATE TABLE contacts (
          profile_id TEXT NOT NULL REFERENCES profiles(id) ON DELETE CASCADE,
          user_id    TEXT NOT NULL,
          email      TEXT,
          phone      TEXT,
          updated_at INTEGER NOT NULL,
          PRIMARY KEY (profile_id, user_id)
        ) STRICT;
        CREATE TABLE invitation_settings (
          profile_id     TEXT PRIMARY KEY REFERENCES profiles(id) ON DELETE CASCADE,
          smtp_host      TEXT,
          smtp_port      INTEGER,
          smtp_security  TEXT CHECK (smtp_security IN ('tls', 'starttls', 'none')),
          smtp_user      TEXT,
          smtp_from      TEXT,
          smtp_ca_pem    TEXT,
          subject        TEXT,
          body           TEXT,
          per_minute     INTEGER NOT NULL DEFAULT 60 CHECK (per_minute BETWEEN 1 AND 6000),
          store_contacts INTEGER NOT NULL DEFAULT 1 CHECK (store_contacts IN (0, 1)),
          updated_at     INTEGER NOT NULL
        ) STRICT;
        -- One row per message, written 'sending' before it is sent: a crash leaves
        -- 'sending' rows, which are never sent again (they become 'unknown').
        CREATE TABLE invitations (
          id         INTEGER PRIMARY KEY,
          profile_id TEXT NOT NULL REFERENCES profiles(id) ON DELETE CASCADE,
          user_id    TEXT NOT NULL,
          channel    TEXT NOT NULL CHECK (channel IN ('email', 'sms')),
          state      TEXT NOT NULL CHECK (state IN ('sending', 'sent', 'failed', 'unknown')),
          job_id     TEXT,
          owner      TEXT NOT NULL,
          error_code TEXT,
          created_at INTEGER NOT NULL,
          settled_at INTEGER
        ) STRICT;
        CREATE INDEX invitations_user ON invitations(profile_id, user_id, created_at);
      `);
    },
  },
  {
    version: 7,
    description: "directory sources: a profile's users in the application's own database, mirrored for queries",
    up(db) {
      db.exec(`
        -- A profile linked to an application directory (PostgreSQL or an SQLite file): the mapping, no password.
        CREATE TABLE directory_sources (
          profile_id  TEXT PRIMARY KEY REFERENCES profiles(id) ON DELETE CASCADE,
          source      TEXT NOT NULL,
          fingerprint TEXT,
          users_fingerprint TEXT,
          writable    INTEGER NOT NULL DEFAULT 1 CHECK (writable IN (0, 1)),
          linked_at   INTEGER NOT NULL,
          synced_at   INTEGER
        ) STRICT;
        -- An application's user without an IAMPASS ID is mirrored with iampass_id '' ("not at IAMPASS").
        DROP INDEX users_profile_iampass;
        CREATE UNIQUE INDEX users_profile_iampass ON users(profile_id, iampass_id) WHERE iampass_id <> '';
        -- Unique among users at IAMPASS; the sort by IAMPASS ID walks its own (full) index.
        CREATE INDEX users_profile_iampass_order ON users(profile_id, iampass_id, id);
        CREATE INDEX users_profile_absent ON users(profile_id, id) WHERE iampass_id = '';
      `);
    },
  },
  {
    version: 8,
    description: 'audit: which admin (OS user and machine); team mode: what this console shared',
    up(db) {
      db.exec(`
        -- "user@machine" of the process that recorded the entry (NULL for entries older than this step).
        ALTER TABLE audit ADD COLUMN actor TEXT;
        -- Team mode (docs/directory.md): the last audit entry of each profile copied to the shared log.
        CREATE TABLE team_audit_cursor (
          profile_id TEXT PRIMARY KEY REFERENCES profiles(id) ON DELETE CASCADE,
          last_id    INTEGER NOT NULL
        ) STRICT;
      `);
    },
  },
];
