// LXD status codes: operations and instances share one numeric space; the number is the contract.
export const StatusCode = {
  OperationCreated: 100,
  Started: 101,
  Stopped: 102,
  Running: 103,
  Cancelling: 104,
  Pending: 105,
  Starting: 106,
  Stopping: 107,
  Aborting: 108,
  Freezing: 109,
  Frozen: 110,
  Thawed: 111,
  Error: 112,
  Ready: 113,
  Success: 200,
  Failure: 400,
  Cancelled: 401,
} as const;

export type StatusCodeValue = (typeof StatusCode)[keyof typeof StatusCode];

const names: Record<number, string> = {
  100: 'Operation created',
  101: 'Started',
  102: 'Stopped',
  103: 'Running',
  104: 'Cancelling',
  105: 'Pending',
  106: 'Starting',
  107: 'Stopping',
  108: 'Aborting',
  109: 'Freezing',
  110: 'Frozen',
  111: 'Thawed',
  112: 'Error',
  113: 'Ready',
  200: 'Success',
  400: 'Failure',
  401: 'Cancelled',
};

/** The status string LXD pairs with a code ("Running", "Success", ...). */
export function statusName(code: number): string {
  return names[code] ?? '';
}

/** Codes of 200 and above are final for operations. */
export function isFinal(code: number): boolean {
  return code >= 200;
}
