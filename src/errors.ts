// The error vocabulary: one class for errors the proxy decides itself (ProxyError, stable codes from
// DESIGN.md §4) and one for failures of an upstream attempt (ProviderError). Everything client-facing
// is shaped from these by server/errors.ts.

export const ERROR_STATUS = {
  invalid_request: 400,
  unauthorized: 401,
  insufficient_permissions: 403,
  model_not_found: 404,
  not_found: 404,
  payload_too_large: 413,
  rate_limited: 429,
  budget_exceeded: 429,
  guardrail_blocked: 400,
  upstream_error: 502,
  provider_unavailable: 503,
  upstream_timeout: 504,
  internal_error: 500,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

const ERROR_TYPE: Record<ErrorCode, string> = {
  invalid_request: 'invalid_request_error',
  unauthorized: 'authentication_error',
  insufficient_permissions: 'permission_error',
  model_not_found: 'invalid_request_error',
  not_found: 'invalid_request_error',
  payload_too_large: 'invalid_request_error',
  rate_limited: 'rate_limit_error',
  budget_exceeded: 'insufficient_quota',
  guardrail_blocked: 'invalid_request_error',
  upstream_error: 'api_error',
  provider_unavailable: 'api_error',
  upstream_timeout: 'api_error',
  internal_error: 'server_error',
};

export interface ErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null; [extra: string]: unknown };
}

export class ProxyError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly param: string | null = null,
    readonly extra: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'ProxyError';
    this.status = ERROR_STATUS[code];
  }

  toBody(): ErrorBody {
    return { error: { message: this.message, type: ERROR_TYPE[this.code], param: this.param, code: this.code, ...this.extra } };
  }
}

/** Why an attempt failed, as the router and breakers need to know it. */
export type FailureKind = 'http' | 'connect' | 'timeout' | 'reset' | 'protocol' | 'rate_limited_locally' | 'circuit_open';

export interface ProviderErrorInit {
  provider: string;
  status: number | null;
  kind: FailureKind;
  message: string;
  retryable: boolean;
  retryAfterMs?: number | null;
  body?: unknown;
  type?: string | null;
  code?: string | null;
  param?: string | null;
}

/** A failed upstream attempt. `status` is the upstream's HTTP status, null for network-level failures. */
export class ProviderError extends Error {
  readonly provider: string;
  readonly status: number | null;
  readonly kind: FailureKind;
  readonly retryable: boolean;
  readonly retryAfterMs: number | null;
  readonly body: unknown;
  readonly type: string | null;
  readonly code: string | null;
  readonly param: string | null;

  constructor(init: ProviderErrorInit) {
    super(init.message);
    this.name = 'ProviderError';
    this.provider = init.provider;
    this.status = init.status;
    this.kind = init.kind;
    this.retryable = init.retryable;
    this.retryAfterMs = init.retryAfterMs ?? null;
    this.body = init.body;
    this.type = init.type ?? null;
    this.code = init.code ?? null;
    this.param = init.param ?? null;
  }

  /** Provider-side failures count against a provider's health; a client's 4xx does not. */
  get isProviderFault(): boolean {
    return this.status === null || this.status === 429 || this.status >= 500 || this.kind !== 'http';
  }
}

/** Statuses worth another attempt (openai-node's policy): 408, 409, 429 and every 5xx. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 409 || status === 429 || status >= 500;
}

const CLIENT_CODE_BY_STATUS: Record<number, string> = {
  400: 'invalid_request',
  401: 'unauthorized',
  403: 'insufficient_permissions',
  404: 'model_not_found',
  413: 'payload_too_large',
  422: 'invalid_request',
  429: 'rate_limited',
};

/** Shapes a relayed upstream 4xx in our error format, keeping the upstream's status and message. */
export function upstreamErrorBody(error: ProviderError): ErrorBody {
  const status = error.status ?? 502;
  return {
    error: {
      message: error.message,
      type: error.type ?? (status === 429 ? 'rate_limit_error' : status < 500 ? 'invalid_request_error' : 'api_error'),
      param: error.param,
      code: error.code ?? CLIENT_CODE_BY_STATUS[status] ?? 'upstream_error',
    },
  };
}
