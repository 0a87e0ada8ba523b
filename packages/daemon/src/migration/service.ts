// Migration operations: the source side (POST /1.0/instances/{name} with migration) and the target side
// (POST /1.0/instances with source.type=migration), in pull and push modes; relay is two of these joined by the client.
import type { InstancePost, InstancesPost } from '@lodge/api';
import { ApiError } from '@lodge/api';
import type { LifecycleOptions } from '../events/hub.js';
import type { InstanceContext } from '../instance/context.js';
import { runtimeState, startInstance } from '../instance/runtime.js';
import type { InstanceService } from '../instance/service.js';
import type { OperationContext, OperationOptions } from '../operations/operation.js';
import type { ServerCertificate } from '../server/certificate.js';
import { criuStatus } from '../sys/criu.js';
import { seg } from '../util/url.js';
import { Channel } from './channel.js';
import { dialMigration } from './dial.js';
import { encodeControl } from './messages.js';
import { Connections } from './secrets.js';
import { runSource } from './source.js';
import { migrationPlanner, type TargetChannels, type TargetSession } from './target.js';

function resources(name: string): Record<string, string[]> {
  return { containers: [`/1.0/containers/${seg(name)}`], instances: [`/1.0/instances/${seg(name)}`] };
}

async function dialAll(names: string[], operation: string, secrets: Record<string, string>, certificate: string, self: ServerCertificate): Promise<Record<string, Channel>> {
  const out: Record<string, Channel> = {};
  for (const n of names) {
    const secret = secrets[n];
    if (!secret) throw ApiError.badRequest(`Missing the "${n}" migration secret`);
    out[n] = new Channel(n, await dialMigration({ operation, secret, certificate, self }));
  }
  return out;
}

export class MigrationService {
  constructor(
    private readonly ctx: InstanceContext,
    private readonly instances: InstanceService,
    private readonly self: () => ServerCertificate,
  ) {}

  /** POST /1.0/instances/{name} {migration: true}: a websocket operation (pull), or dialling the target (push). */
  async source(project: string, name: string, post: InstancePost, snapshot?: string): Promise<OperationOptions> {
    const view = await this.instances.view(project, name);
    if (snapshot !== undefined) await this.instances.snapshot(project, name, snapshot);
    const stopForFinalPass = snapshot === undefined && post.live === true && (await runtimeState(this.ctx, view)).status !== 'Stopped' && (await this.noLive(name, view.rec.ephemeral));
    const base = { project, description: 'Migrating instance', resources: resources(name) };
    const run = (ctx: OperationContext, ch: Record<string, Channel>): Promise<void> => runSource(this.ctx, { project, name, post, snapshot, stopForFinalPass, exclusive: (fn) => this.instances.withLock(project, name, fn) }, { control: ch.control!, fs: ch.fs! }, ctx);
    const target = post.target;
    if (target?.operation) {
      return {
        ...base,
        class: 'task',
        run: async (ctx) => {
          const ch = await dialAll(['control', 'fs'], target.operation!, target.secrets ?? {}, target.certificate, this.self());
          try {
            await run(ctx, ch);
          } finally {
            for (const c of Object.values(ch)) c.close();
          }
        },
      };
    }
    const conns = new Connections(['control', 'fs']);
    return {
      ...base,
      class: 'websocket',
      metadata: conns.secrets,
      cancel: () => conns.closeAll(),
      connect: (secret, ws) => conns.accept(secret, ws),
      run: async (ctx) => {
        try {
          await run(ctx, await conns.all());
        } finally {
          conns.closeAll();
        }
      },
    };
  }

  /**
   * `lxc copy`/`lxc move` of a running instance asks for live migration. Without CRIU the instance is shut down
   * for the final pass and boots on the target instead; said in the log, since the client shows no warnings.
   * An ephemeral instance would delete itself on shutdown: it is copied running, as with --stateless.
   */
  private async noLive(name: string, ephemeral: boolean): Promise<boolean> {
    const criu = await criuStatus(this.ctx.runner);
    const why = criu.ok ? 'lodge does not implement CRIU migration yet' : criu.reason;
    const how = ephemeral ? 'it is ephemeral, so it is copied running, as with --stateless' : 'it is shut down for the transfer and started on the target';
    this.ctx.log.warn(`Live migration of instance ${name} is not possible (${why}); ${how}`);
    return !ephemeral;
  }

  /**
   * The source closes control once it has the verdict, after unfreezing or restarting its instance. Finishing
   * only then means a client that returns with this operation finds the source as it should be.
   */
  private async sourceDone(channels: TargetChannels | undefined): Promise<void> {
    await channels?.control.closedWithin(10_000);
  }

  private async startOrUndo(project: string, name: string, lc: LifecycleOptions): Promise<void> {
    try {
      await startInstance(this.ctx, project, name, lc);
    } catch (e) {
      await this.instances.delete(project, name, {}).catch(() => undefined);
      throw new Error(`The migrated instance failed to start: ${(e as Error).message}`);
    }
  }

  /** POST /1.0/instances {source: {type: "migration"}}: pull dials the source, push waits for it. */
  target(project: string, req: InstancesPost, lc: LifecycleOptions): OperationOptions {
    const name = req.name!;
    const source = req.source!;
    const push = source.mode === 'push';
    const conns = push ? new Connections(['control', 'fs']) : undefined;
    let channels: TargetChannels | undefined;
    const connect = async (): Promise<TargetChannels> => {
      if (conns) {
        const ch = await conns.all();
        channels = { control: ch.control!, fs: ch.fs! };
      } else {
        if (!source.operation) throw ApiError.badRequest('Missing the source operation URL');
        const ch = await dialAll(['control', 'fs'], source.operation, source.secrets ?? {}, source.certificate ?? '', this.self());
        channels = { control: ch.control!, fs: ch.fs! };
      }
      return channels;
    };
    const run = async (ctx: OperationContext): Promise<void> => {
      try {
        const session: TargetSession = { channels: connect, progress: (md) => ctx.setMetadata(md) };
        await this.instances.createWith(project, req, migrationPlanner(this.ctx, session), (md) => ctx.setMetadata(md), lc);
        // A live request whose source ran: the instance continues here (booted, where CRIU would have resumed it).
        if (source.live && session.sourceRunning) await this.startOrUndo(project, name, lc);
        await channels?.control.send(encodeControl(true, ''));
        await this.sourceDone(channels);
      } catch (e) {
        await channels?.control.send(encodeControl(false, (e as Error).message)).catch(() => undefined);
        await this.sourceDone(channels);
        throw e;
      } finally {
        if (channels) for (const c of Object.values(channels)) c.close();
        conns?.closeAll();
      }
    };
    const base = { project, description: 'Creating instance', resources: resources(name), run };
    if (!conns) return { ...base, class: 'task' };
    return { ...base, class: 'websocket', metadata: conns.secrets, connect: (secret, ws) => conns.accept(secret, ws), cancel: () => conns.closeAll() };
  }
}
