// Migration operations: the source side (POST /1.0/instances/{name} with migration) and the target side
// (POST /1.0/instances with source.type=migration), in pull and push modes; relay is two of these joined by the client.
import type { InstancePost, InstancesPost } from '@lodge/api';
import { ApiError } from '@lodge/api';
import type { LifecycleOptions } from '../events/hub.js';
import type { InstanceContext } from '../instance/context.js';
import { runtimeState } from '../instance/runtime.js';
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
import { migrationPlanner, type TargetChannels } from './target.js';

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
    else if (post.live && (await runtimeState(this.ctx, view)).status !== 'Stopped') await this.refuseLive();
    const base = { project, description: 'Migrating instance', resources: resources(name) };
    const run = (ctx: OperationContext, ch: Record<string, Channel>): Promise<void> => runSource(this.ctx, { project, name, post, snapshot }, { control: ch.control!, fs: ch.fs! }, ctx);
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

  /** `lxc copy`/`lxc move` of a running instance asks for live migration, which needs a working CRIU. */
  private async refuseLive(): Promise<never> {
    const criu = await criuStatus(this.ctx.runner);
    const why = criu.ok ? 'lodge does not implement live migration yet' : criu.reason;
    throw ApiError.badRequest(`Live migration needs CRIU: ${why}. Copy or move it with --stateless, or stop it first`);
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
        await this.instances.createWith(project, req, migrationPlanner(this.ctx, connect, (md) => ctx.setMetadata(md)), (md) => ctx.setMetadata(md), lc);
        await channels?.control.send(encodeControl(true, ''));
        // The source closes control once it has the verdict, after unfreezing a running instance; finishing
        // only then means a client that returns with this operation finds the source running again.
        await channels?.control.closedWithin(5_000);
      } catch (e) {
        await channels?.control.send(encodeControl(false, (e as Error).message)).catch(() => undefined);
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
