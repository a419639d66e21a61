/**
 * Provider timestamps, read into zod schemas that output ISO 8601 in UTC (`toISOString()`), so
 * `occurredAt` values compare as strings whatever zone or unit the provider wrote them in.
 */
import { z } from 'zod';

const RFC3339 = /^(\d{4}-\d{2}-\d{2})[Tt ](\d{2}:\d{2}:\d{2})(?:\.(\d+))?([Zz]|[+-]\d{2}:?\d{2})$/;
// Alibaba ACR: "2016-11-29 12:25:46", no zone; China regions' local time (CST) per the README.
const ACR_LOCAL = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})$/;
const ACR_ZONE = '+08:00';

/** Reads RFC 3339 with any zone and any fraction (Go's RFC3339Nano); undefined when it is not one. */
export function fromRfc3339(text: string): string | undefined {
  const match = RFC3339.exec(text);
  if (!match) return undefined;
  const [, date, time, fraction = '', zone = 'Z'] = match;
  // Date.parse accepts milliseconds only: nanoseconds are truncated.
  const normalised = `${date}T${time}.${fraction.padEnd(3, '0').slice(0, 3)}${zone.length === 5 ? `${zone.slice(0, 3)}:${zone.slice(3)}` : zone.toUpperCase()}`;
  return toIso(Date.parse(normalised));
}

/** Unix seconds, integer or float (old Docker Hub payloads wrote `1.417566161e+09`). */
export function fromUnixSeconds(seconds: number): string | undefined {
  return toIso(seconds * 1000);
}

export function fromAcrLocalTime(text: string): string | undefined {
  const match = ACR_LOCAL.exec(text);
  return match ? toIso(Date.parse(`${match[1]}T${match[2]}${ACR_ZONE}`)) : fromRfc3339(text);
}

function toIso(ms: number): string | undefined {
  if (!Number.isFinite(ms)) return undefined;
  const date = new Date(ms);
  const year = date.getUTCFullYear();
  return year >= 1 && year <= 9999 ? date.toISOString() : undefined;
}

function timestamp<T>(read: (value: T) => string | undefined, what: string) {
  return (value: T, ctx: z.RefinementCtx<T>): string => {
    const iso = read(value);
    if (iso === undefined) {
      ctx.addIssue({ code: 'custom', message: `not ${what}: ${JSON.stringify(value)}` });
      return z.NEVER;
    }
    return iso;
  };
}

export const Rfc3339Time = z.string().transform(timestamp(fromRfc3339, 'an RFC 3339 time'));
export const UnixSecondsTime = z.number().transform(timestamp(fromUnixSeconds, 'a Unix time in seconds'));
export const AcrLocalTime = z.string().transform(timestamp(fromAcrLocalTime, 'a "YYYY-MM-DD HH:MM:SS" time'));
