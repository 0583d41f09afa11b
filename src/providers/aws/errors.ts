import { OpsError } from "../../core/errors.ts";
import type { ErrorClass } from "../../core/report.ts";

// SDK errors are matched by the service's error code (`name`, from the response) or
// the socket's `code`, never by class name: --minify renames classes in the binary.

const AUTH_CODES = new Set([
  "AuthFailure",
  "InvalidClientTokenId",
  "UnrecognizedClientException",
  "SignatureDoesNotMatch",
  "ExpiredToken",
  "ExpiredTokenException",
  "InvalidAccessKeyId",
  "CredentialsProviderError",
]);
export const THROTTLE_CODES = new Set(["RequestLimitExceeded", "Throttling", "ThrottlingException", "TooManyRequestsException", "SlowDown"]);
const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ETIMEDOUT",
  "EPIPE",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ConnectionRefused",
  "TimeoutError",
  "RequestTimeout",
]);

/** Authenticated, but not allowed: a permission problem, not a credential problem. */
export const DENIED_CODES = new Set(["UnauthorizedOperation", "AccessDenied", "AccessDeniedException"]);

export interface AwsErrorInfo {
  code: string;
  message: string;
  status?: number;
  class: ErrorClass;
}

export function awsErrorInfo(e: unknown): AwsErrorInfo {
  const err = e as { name?: string; Code?: string; code?: string; message?: string; $metadata?: { httpStatusCode?: number }; cause?: { code?: string } };
  const status = err.$metadata?.httpStatusCode;
  const code = err.Code ?? (err.name && err.name !== "Error" && err.name !== "TypeError" ? err.name : undefined) ?? err.code ?? err.cause?.code ?? "Error";
  const message = String(err.message ?? e);
  if (AUTH_CODES.has(code) || (!status && /credential/i.test(message))) return { code, message, status, class: "auth" };
  if (DENIED_CODES.has(code)) return { code, message, status, class: "auth" };
  if (THROTTLE_CODES.has(code) || NETWORK_CODES.has(code) || NETWORK_CODES.has(err.code ?? "") || !status || status >= 500) {
    return { code, message, status, class: "remote" };
  }
  return { code, message, status, class: "validation" };
}

/** A failure while reading (discovery, validation): nothing was changed, so it is exit 4. */
export function remoteFailure(service: string, endpoint: string | undefined, e: unknown): OpsError {
  // A mutation refused before apply is a bug in the command (exit 1), not a remote failure.
  if ((e as { name?: string })?.name === "MutationRefused") throw e;
  const info = awsErrorInfo(e);
  const where = endpoint ? ` at ${endpoint}` : "";
  const what =
    info.class === "auth" && !DENIED_CODES.has(info.code)
      ? `${service} rejected the credentials (${info.code})`
      : info.status
        ? `${service}${where} answered ${info.status} ${info.code}: ${firstLine(info.message)}`
        : `cannot reach ${service}${where}: ${info.code}${info.message && info.message !== info.code ? ` (${firstLine(info.message)})` : ""}`;
  return new OpsError("remote", [{ message: what }], { cause: e });
}

/** The first line of a service message, at most 300 characters: what an error message quotes. */
export function firstLine(s: string): string {
  return (s.split("\n")[0] ?? s).slice(0, 300);
}
