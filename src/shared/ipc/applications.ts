/**
 * Feature: application profiles (list, add, edit, remove, switch, test) and
 * the first-run state. No response ever carries a secret: the secret field is
 * write-only (add, edit) and the views only say whether the keychain holds one.
 */
import { z } from 'zod';
import type { ErrorInfo } from '../errors.ts';
import { PROFILE_FLAVOURS, type ProfileFlavour } from '../iampass.ts';
import { event, request } from './define.ts';

/** The profile flavours (one list, in src/shared/iampass.ts). */
export const FLAVOURS = PROFILE_FLAVOURS;
export type Flavour = ProfileFlavour;

/** What the renderer sees of a profile (mirrors the store's Profile + state). */
export interface ApplicationView {
  id: string;
  name: string;
  flavour: Flavour;
  baseUrl: string;
  applicationId: string;
  concurrency: number;
  sendOwnIds: boolean;
  createdAt: number;
  updatedAt: number;
  active: boolean;
  /** Whether the keychain holds its secret; null when the keychain is unreachable. */
  hasSecret: boolean | null;
}

export type ConnectionTestResult = { ok: true; latencyMs: number } | { ok: false; latencyMs: number; error: ErrorInfo };

/** The start-up step (embedded sandbox, first run), as the renderer sees it. */
export interface StartupState {
  /** 'starting' until the sandbox step ran; 'failed' when the sandbox could not start (error set). */
  phase: 'starting' | 'ready' | 'failed';
  /** True when this launch created the Sandbox profile: the first-run screen shows. */
  firstRun: boolean;
  /** The running embedded sandbox (loopback URL) and its profile, or null. */
  sandbox: { baseUrl: string; profileId: string | null } | null;
  error: ErrorInfo | null;
}

export interface FirstRunStatus extends StartupState {
  /** The admin closed the first-run screen (kept in the store). */
  dismissed: boolean;
}

const id = z.string().min(1).max(64);
// Shapes only: the services validate the values (and say which field is wrong).
const fields = {
  name: z.string().max(200),
  flavour: z.enum(FLAVOURS),
  baseUrl: z.string().max(2048),
  applicationId: z.string().max(200),
  concurrency: z.number(),
  sendOwnIds: z.boolean(),
  secret: z.string().max(1024),
};

export const applicationsRequests = {
  'applications.list': request(z.object({}).strict()).returns<ApplicationView[]>(),
  'applications.add': request(
    z
      .object({
        name: fields.name,
        flavour: fields.flavour,
        baseUrl: fields.baseUrl.optional(),
        applicationId: fields.applicationId,
        secret: fields.secret,
        concurrency: fields.concurrency.optional(),
        sendOwnIds: fields.sendOwnIds.optional(),
      })
      .strict(),
  ).returns<ApplicationView>(),
  'applications.edit': request(
    z
      .object({
        id,
        patch: z
          .object({
            name: fields.name.optional(),
            flavour: fields.flavour.optional(),
            baseUrl: fields.baseUrl.optional(),
            applicationId: fields.applicationId.optional(),
            concurrency: fields.concurrency.optional(),
            sendOwnIds: fields.sendOwnIds.optional(),
            /** Replaces the secret when given; omitted = keep the stored one. */
            secret: fields.secret.optional(),
          })
          .strict(),
      })
      .strict(),
  ).returns<ApplicationView>(),
  /** `confirmName` must repeat the profile's name exactly (the UI's typed confirmation). */
  'applications.remove': request(z.object({ id, confirmName: z.string().max(200) }).strict()).returns<{
    removed: true;
  }>(),
  'applications.setActive': request(z.object({ id }).strict()).returns<ApplicationView>(),
  'applications.getActive': request(z.object({}).strict()).returns<ApplicationView | null>(),
  'applications.test': request(z.object({ id }).strict()).returns<ConnectionTestResult>(),
  'firstRun.status': request(z.object({}).strict()).returns<FirstRunStatus>(),
  'firstRun.dismiss': request(z.object({}).strict()).returns<FirstRunStatus>(),
};

export const applicationsEvents = {
  /** The list or the active profile changed (any window part re-reads applications.list). */
  'applications.changed': event<{ activeId: string | null; reason: 'add' | 'edit' | 'remove' | 'activate' }>(),
};
