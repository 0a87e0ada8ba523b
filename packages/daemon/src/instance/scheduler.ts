// Periodic instance tasks: scheduled snapshots (snapshots.schedule) and removal of expired snapshots.
import { isTrue } from '../config/validators.js';
import type { InstanceContext } from './context.js';
import { parseSchedule } from './cron.js';
import { runtimeState } from './runtime.js';
import { snapshotScope } from './naming.js';
import { viewOf } from './view.js';

export interface SchedulerActions {
  snapshot(project: string, name: string): Promise<void>;
  deleteSnapshot(project: string, name: string, snap: string): Promise<void>;
  deleteBackup(project: string, name: string, backup: string): Promise<void>;
}

/** Runs at every minute boundary (schedules) and every 10 s (expiry); stop() ends it. */
export class InstanceScheduler {
  private timers: NodeJS.Timeout[] = [];
  private lastMinute = -1;

  constructor(
    private readonly ctx: InstanceContext,
    private readonly actions: SchedulerActions,
  ) {}

  start(): void {
    this.timers.push(setInterval(() => void this.tick(new Date()), 1000));
    for (const t of this.timers) t.unref();
    void this.runSchedules(new Date(), true);
  }

  stop(): void {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
  }

  private async tick(now: Date): Promise<void> {
    const minute = Math.floor(now.getTime() / 60_000);
    if (minute !== this.lastMinute) {
      this.lastMinute = minute;
      await this.runSchedules(now, false);
    }
    if (now.getSeconds() % 10 === 0) await this.pruneExpired(now);
  }

  private async runSchedules(now: Date, startup: boolean): Promise<void> {
    const due = await this.ctx.store.read(async (tx) => {
      const out: { project: string; name: string; stopped: boolean }[] = [];
      for (const { scope, value } of await tx.instances.all()) {
        const view = await viewOf(this.ctx, tx, scope, value).catch(() => undefined);
        const spec = view?.expandedConfig['snapshots.schedule'];
        if (!view || !spec) continue;
        let sched;
        try {
          sched = parseSchedule(spec);
        } catch {
          continue;
        }
        if (startup ? sched.startup : sched.matches(now)) out.push({ project: scope, name: value.name, stopped: isTrue(view.expandedConfig['snapshots.schedule.stopped']) });
      }
      return out;
    });
    for (const d of due) {
      try {
        const view = await this.ctx.store.read((tx) => tx.instances.must(d.project, d.name).then((r) => viewOf(this.ctx, tx, d.project, r)));
        if ((await runtimeState(this.ctx, view)).status === 'Stopped' && !d.stopped) continue;
        await this.actions.snapshot(d.project, d.name);
      } catch (e) {
        this.ctx.log.warn('Scheduled snapshot failed', { project: d.project, instance: d.name, err: (e as Error).message });
      }
    }
  }

  private async pruneExpired(now: Date): Promise<void> {
    const expired = await this.ctx.store.read(async (tx) => {
      const out: { project: string; name: string; snap: string }[] = [];
      for (const { scope, name } of await tx.instances.all()) {
        for (const s of await tx.snapshots.list(snapshotScope(scope, name))) {
          const t = Date.parse(s.expires_at);
          if (t > 0 && t <= now.getTime()) out.push({ project: scope, name, snap: s.name });
        }
      }
      return out;
    });
    for (const e of expired) {
      await this.actions.deleteSnapshot(e.project, e.name, e.snap).catch((err: Error) => this.ctx.log.warn('Removing an expired snapshot failed', { ...e, err: err.message }));
    }
    const backups = await this.ctx.store.read(async (tx) => {
      const out: { project: string; name: string; backup: string }[] = [];
      for (const { scope, name } of await tx.instances.all()) {
        for (const b of await tx.backups.list(snapshotScope(scope, name))) {
          const t = Date.parse(b.expires_at);
          if (t > 0 && t <= now.getTime()) out.push({ project: scope, name, backup: b.name });
        }
      }
      return out;
    });
    for (const b of backups) {
      await this.actions.deleteBackup(b.project, b.name, b.backup).catch((err: Error) => this.ctx.log.warn('Removing an expired backup failed', { ...b, err: err.message }));
    }
  }
}
