// The JSON API client: every failure becomes an ApiError with the server's code and message, for the page to show.

export class ApiError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

export async function api<T>(path: string): Promise<T> {
  return (await apiIfChanged<T>(path, undefined)).body as T;
}

/**
 * Like {@link api}, but with the ETag of the last answer: when the server says nothing changed, `body` is undefined
 * and nothing is parsed (the Runs page polls thousands of runs this way).
 */
export async function apiIfChanged<T>(path: string, etag: string | undefined): Promise<{ body?: T; etag?: string }> {
  let response: Response;
  try {
    response = await fetch(path);
  } catch (error) {
    throw new ApiError(
      'NETWORK',
      `The dashboard server does not answer (${(error as Error).message}). Is optik ui still running?`,
    );
  }
  const tag = response.headers.get('etag') ?? undefined;
  if (etag !== undefined && tag === etag && response.ok) return { etag };
  const text = await response.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new ApiError(`HTTP_${response.status}`, text.slice(0, 300) || response.statusText);
  }
  const error = (body as { error?: { code: string; message: string } }).error;
  if (!response.ok || error !== undefined) {
    throw new ApiError(error?.code ?? `HTTP_${response.status}`, error?.message ?? response.statusText);
  }
  return tag === undefined ? { body: body as T } : { body: body as T, etag: tag };
}
