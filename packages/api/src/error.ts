// ApiError: the one error type that carries an HTTP status to the LXD error envelope.
export class ApiError extends Error {
  readonly status: number;

  constructor(status: number, message: string) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
  }

  static badRequest(message: string): ApiError {
    return new ApiError(400, message);
  }

  static forbidden(message = 'not authorized'): ApiError {
    return new ApiError(403, message);
  }

  static notFound(message = 'not found'): ApiError {
    return new ApiError(404, message);
  }

  static conflict(message: string): ApiError {
    return new ApiError(409, message);
  }

  static preconditionFailed(message: string): ApiError {
    return new ApiError(412, message);
  }

  static internal(message: string): ApiError {
    return new ApiError(500, message);
  }
}

export function isApiError(e: unknown): e is ApiError {
  return e instanceof ApiError;
}
