/** OpenAI-style error JSON: {"error":{"message","type","code"}} with the right HTTP status. */
export interface ErrorBody {
  error: { message: string; type: string; code: string | null; param: string | null };
}

export function errorBody(message: string, type: string, code: string | null = null): ErrorBody {
  return { error: { message, type, code, param: null } };
}

export class ApiError extends Error {
  readonly statusCode: number;
  readonly type: string;
  readonly code: string | null;
  /** Sent as Retry-After (whole seconds, rounded up) so clients back off for as long as it takes. */
  readonly retryAfterMs: number | undefined;
  constructor(
    statusCode: number,
    message: string,
    type: string,
    code: string | null = null,
    retryAfterMs?: number,
  ) {
    super(message);
    this.name = "ApiError";
    this.statusCode = statusCode;
    this.type = type;
    this.code = code;
    this.retryAfterMs = retryAfterMs;
  }
  toJSON(): ErrorBody {
    return errorBody(this.message, this.type, this.code);
  }
}

export const errors = {
  badRequest: (message: string, code = "invalid_request") =>
    new ApiError(400, message, "invalid_request_error", code),
  unauthorized: (message = "Invalid or missing API key. Send Authorization: Bearer <key>.") =>
    new ApiError(401, message, "authentication_error", "invalid_api_key"),
  forbidden: (message: string) => new ApiError(403, message, "permission_error", "forbidden"),
  notFound: (message: string, code = "not_found") => new ApiError(404, message, "not_found_error", code),
  tooLarge: (message: string) => new ApiError(413, message, "invalid_request_error", "request_too_large"),
  budgetExceeded: (message: string) => new ApiError(429, message, "insufficient_quota", "budget_exceeded"),
  rateLimited: (message: string, retryAfterMs?: number, code = "rate_limited") =>
    new ApiError(429, message, "rate_limit_error", code, retryAfterMs),
  internal: (message = "Internal server error") =>
    new ApiError(500, message, "server_error", "internal_error"),
  badGateway: (message: string, code = "upstream_error") =>
    new ApiError(502, message, "upstream_error", code),
  unavailable: (message: string, code = "unavailable", retryAfterMs?: number) =>
    new ApiError(503, message, "server_error", code, retryAfterMs),
  timeout: (message: string) => new ApiError(504, message, "timeout_error", "upstream_timeout"),
};
