// Registers every noun with the root program; a new noun (launch, list, exec...) is one more file and one more line here.
import type { Command } from 'commander';
import type { App } from '../app.js';
import { registerConfig } from './config.js';
import { registerImage } from './image.js';
import { registerInfo } from './info.js';
import { registerMonitor } from './monitor.js';
import { registerOperation } from './operation.js';
import { registerProfile } from './profile.js';
import { registerProject } from './project.js';
import { registerStorage } from './storage.js';
import { registerVersion } from './version.js';

export function registerAll(program: Command, app: App): void {
  registerConfig(program, app);
  registerImage(program, app);
  registerInfo(program, app);
  registerMonitor(program, app);
  registerOperation(program, app);
  registerProfile(program, app);
  registerProject(program, app);
  registerStorage(program, app);
  registerVersion(program, app);
}
