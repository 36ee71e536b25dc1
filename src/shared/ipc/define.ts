/**
 * Building blocks of the bridge contract. A request channel pairs a zod schema
 * for its payload (validated in main) with the TypeScript type of its value;
 * an event channel carries only a payload type (main is the trusted side).
 */
import type { z } from 'zod';

export interface RequestDef<Req extends z.ZodType, Res> {
  readonly request: Req;
  /** Phantom: carries the response type, never read at run time. */
  readonly response: Res;
}

export interface EventDef<Payload> {
  /** Phantom: carries the payload type, never read at run time. */
  readonly payload: Payload;
}

/** `request(z.object({...}).strict()).returns<Value>()` */
export function request<Req extends z.ZodType>(schema: Req): { returns<Res>(): RequestDef<Req, Res> } {
  return {
    returns<Res>(): RequestDef<Req, Res> {
      return { request: schema, response: undefined as unknown as Res };
    },
  };
}

/** `event<Payload>()` */
export function event<Payload>(): EventDef<Payload> {
  return { payload: undefined as unknown as Payload };
}
