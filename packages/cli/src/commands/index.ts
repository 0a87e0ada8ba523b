// Registers every noun with the root program; a new noun (launch, list, exec...) is one more file and one more line here.
import type { Command } from 'commander';
import type { App } from '../app.js';
import { registerActions } from './action.js';
import { registerBackup } from './backup.js';
import { registerConfig } from './config.js';
import { attachConsole, registerConsole } from './console.js';
import { registerCopy } from './copy.js';
import { registerDelete } from './delete.js';
import { registerExec } from './exec.js';
import { registerFile } from './file.js';
import { registerImage } from './image.js';
import { registerInfo } from './info.js';
import { registerLaunch } from './launch.js';
import { registerList } from './list.js';
import { registerMonitor } from './monitor.js';
import { registerOperation } from './operation.js';
import { registerProfile } from './profile.js';
import { registerProject } from './project.js';
import { registerPublish } from './publish.js';
import { registerSnapshot } from './snapshot.js';
import { registerRemote } from './remote.js';
import { registerStorage } from './storage.js';
import { registerVersion } from './version.js';

export function registerAll(program: Command, app: App): void {
  registerActions(program, app, (ctx, name) => attachConsole(ctx, name));
  registerBackup(program, app);
  registerConfig(program, app);
  registerConsole(program, app);
  registerCopy(program, app);
  registerDelete(program, app);
  registerExec(program, app);
  registerFile(program, app);
  registerImage(program, app);
  registerInfo(program, app);
  registerLaunch(program, app);
  registerList(program, app);
  registerMonitor(program, app);
  registerOperation(program, app);
  registerProfile(program, app);
  registerProject(program, app);
  registerPublish(program, app);
  registerRemote(program, app);
  registerSnapshot(program, app);
  registerStorage(program, app);
  registerVersion(program, app);
}
