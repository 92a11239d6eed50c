// The app's GraphQL client over HTTP: one POST per operation, the operation's text exactly as
// graphql-codegen generated it (so its sha256 is the key in assets/app/persisted-documents.json
// and a server in trusted-documents mode accepts it), typed by the generated document types.
//
// Why not urql or Apollo: the app needs no normalised cache (every screen asks for what it
// shows and is told of changes by subscriptions and the change bus), and urql rewrites the text
// it sends (comments and line breaks squeezed, `__typename` added by its cache), which would
// break the match between the text sent and the trusted-documents manifest. Subscriptions use
// the maintained `graphql-ws` client (live.ts).

import type { TypedDocumentString } from '../gql/graphql';
import { getToken, setToken } from '../session';
import { track } from '../activity';

/** An error the API (or the way to it) answered with. `message` is the server's text, for the
 * console only: screens show `describeError(err)` (errors.ts), which is German. */
export class ApiError extends Error {
  readonly code: string;
  readonly field: string | null;
  readonly retryAfter: number | null;
  readonly reason: string | null;
  readonly httpStatus: number | null;

  constructor(
    code: string,
    message: string,
    extra: { field?: unknown; retryAfter?: unknown; reason?: unknown; httpStatus?: number | null } = {},
  ) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    this.field = typeof extra.field === 'string' ? extra.field : null;
    this.retryAfter = typeof extra.retryAfter === 'number' ? extra.retryAfter : null;
    this.reason = typeof extra.reason === 'string' ? extra.reason : null;
    this.httpStatus = extra.httpStatus ?? null;
  }
}

/** Codes of our own, for failures before any GraphQL answer. */
export const NETWORK = 'NETWORK';
export const BAD_RESPONSE = 'BAD_RESPONSE';

interface GraphQLErrorJson {
  message?: string;
  extensions?: Record<string, unknown>;
}

/** The first error of a GraphQL answer as an ApiError. */
export function errorFromJson(errors: GraphQLErrorJson[], httpStatus: number | null): ApiError {
  const first = errors[0] ?? {};
  const ext = first.extensions ?? {};
  const code = typeof ext.code === 'string' ? ext.code : 'INTERNAL';
  return new ApiError(code, first.message ?? code, {
    field: ext.field,
    retryAfter: ext.retryAfter,
    reason: ext.reason,
    httpStatus,
  });
}

/** A request made with a token that the server no longer knows: the session is over. Sign-in
 * requests themselves are exempt (their UNAUTHENTICATED means a wrong password). */
export function noticeExpiry(err: ApiError, sentToken: string | null) {
  if (err.code === 'UNAUTHENTICATED' && sentToken !== null && getToken() === sentToken) {
    setToken(null, 'expired');
  }
}

const TIMEOUT_MS = 60_000;

/** Runs one query or mutation; resolves with its `data`, or rejects with an ApiError. */
export async function request<R, V>(
  document: TypedDocumentString<R, V>,
  ...[variables]: V extends Record<string, never> ? [] | [V] : [V]
): Promise<R> {
  const token = getToken();
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    accept: 'application/graphql-response+json, application/json;q=0.9',
  };
  if (token) headers.authorization = `Bearer ${token}`;
  const body = JSON.stringify({ query: document.toString(), variables: variables ?? {} });
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), TIMEOUT_MS);
  const done = track();
  let response: Response;
  try {
    response = await fetch('/graphql', {
      method: 'POST',
      headers,
      body,
      signal: controller.signal,
      credentials: 'omit',
    });
  } catch (cause) {
    throw new ApiError(NETWORK, String(cause));
  } finally {
    clearTimeout(timer);
    done();
  }
  let json: { data?: R | null; errors?: GraphQLErrorJson[] };
  try {
    json = (await response.json()) as typeof json;
  } catch {
    throw new ApiError(response.status >= 500 ? NETWORK : BAD_RESPONSE, `HTTP ${response.status}`, {
      httpStatus: response.status,
    });
  }
  if (json.errors && json.errors.length > 0) {
    const err = errorFromJson(json.errors, response.status);
    noticeExpiry(err, token);
    throw err;
  }
  if (json.data === undefined || json.data === null) {
    throw new ApiError(BAD_RESPONSE, `HTTP ${response.status} without data`, {
      httpStatus: response.status,
    });
  }
  return json.data;
}
