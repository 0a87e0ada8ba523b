// Pid file: one lodged per state directory; a stale file from a crash is taken over.
import { readFile, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function socketAnswers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(path);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

export async function acquirePidFile(pidFile: string, socket: string): Promise<void> {
  const old = Number.parseInt(await readFile(pidFile, 'utf8').catch(() => ''), 10);
  if (old && old !== process.pid && alive(old) && (await socketAnswers(socket))) {
    throw new Error(`Another lodged (pid ${old}) is already running with this directory`);
  }
  await writeFile(pidFile, `${process.pid}\n`);
}

/** The pid recorded in the file, when that process still runs. */
export async function runningPid(pidFile: string): Promise<number | undefined> {
  const pid = Number.parseInt(await readFile(pidFile, 'utf8').catch(() => ''), 10);
  return pid > 0 && alive(pid) ? pid : undefined;
}
