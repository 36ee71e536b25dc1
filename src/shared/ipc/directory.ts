/**
 * Feature: where the ACTIVE profile's users live (docs/directory.md): the
 * console's own store, or the application's database. The database password
 * goes in (tables, check, link) and never comes back; the source the
 * console shows holds none.
 */
import { z } from 'zod';
import {
  directoryConnection,
  directorySource,
  type DirectoryInfo,
  type DirectorySource,
  type SourceCheck,
  type TableInfo,
} from '../directory-source.ts';
import { request } from './define.ts';

export interface DirectoryView extends DirectoryInfo {
  /** The linked source (connection and mapping; never a password); null when embedded. */
  source: DirectorySource | null;
  /** The keychain holds a database password for this profile (null: the keychain is unreachable). */
  hasPassword: boolean | null;
}

const password = z.string().min(1).max(1024).optional();

export const directoryRequests = {
  'directory.view': request(z.object({}).strict()).returns<DirectoryView>(),
  /** The tables a connection may read (no mapping yet); without `password`, the one kept in the keychain. */
  'directory.tables': request(z.object({ where: directoryConnection, password }).strict()).returns<TableInfo[]>(),
  /** The dry run of a mapping: writes nothing. */
  'directory.check': request(z.object({ source: directorySource, password }).strict()).returns<
    SourceCheck & { tables: TableInfo[] }
  >(),
  /** Links the active profile after a passing check (running `applyDdl`, statements the check suggested, first). */
  'directory.link': request(
    z
      .object({
        source: directorySource,
        password,
        applyDdl: z.array(z.string().max(4000)).max(10).optional(),
      })
      .strict(),
  ).returns<{ check: SourceCheck; jobId: string }>(),
  'directory.unlink': request(z.object({}).strict()).returns<{ unlinked: boolean }>(),
  'directory.sync': request(z.object({}).strict()).returns<{ jobId: string }>(),
};

export const directoryEvents = {};
