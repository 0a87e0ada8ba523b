// A command that ends with a specific exit code (like lxc exec passing through the remote status).
export class ExitCode extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}
