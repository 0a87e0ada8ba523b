// `lodge init` and `lodge launch`: create an instance from a local image (alias or fingerprint) or empty, then start it.
import type { Command } from 'commander';
import type { Devices, Image, ImageAliasesEntry, InstancePut, InstancesPost, Operation } from '@lodge/api';
import { ApiError } from '@lodge/api';
import { tryAddresses, type RemoteOperation } from '@lodge/client';
import type { App } from '../app.js';
import { collect } from '../args.js';
import type { Context, Resource } from '../context.js';
import { decodeYaml } from '../format/fromyaml.js';
import { instancePut } from '../format/shapes.js';
import { Progress } from '../progress.js';
import { attachConsole } from './console.js';
import { waitWithProgress } from './instance-common.js';
import { instanceSource } from '../requests.js';
import { imageServer, sameServer } from '../image-server.js';
import { launchNic } from './network-api.js';

/** parseDeviceOverrides: `-d root,size=10GB` → { root: { size: '10GB' } }. */
export function parseDeviceOverrides(entries: string[]): Devices {
  const out: Devices = {};
  for (const entry of entries) {
    if (!entry.includes('=') || !entry.includes(',')) throw new Error(`Bad device override syntax, expecting <device>,<key>=<value>: ${entry}`);
    const comma = entry.indexOf(',');
    const dev = entry.slice(0, comma);
    const kv = entry.slice(comma + 1);
    const eq = kv.indexOf('=');
    out[dev] ??= {};
    out[dev][eq < 0 ? kv : kv.slice(0, eq)] = eq < 0 ? '' : kv.slice(eq + 1);
  }
  return out;
}

/** `-c key=value` flags over the stdin YAML's config. */
export function configFlags(entries: string[], base: Record<string, string> = {}): Record<string, string> {
  const out = { ...base };
  for (const entry of entries) {
    const eq = entry.indexOf('=');
    if (eq < 0) throw new Error(`Bad key=value pair: ${entry}`);
    out[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  return out;
}

interface CreateOpts {
  config?: string[];
  profile?: string[];
  device?: string[];
  ephemeral?: boolean;
  network?: string;
  storage?: string;
  type?: string;
  target?: string;
  noProfiles?: boolean;
  empty?: boolean;
  vm?: boolean;
}

async function stdinInstance(ctx: Context): Promise<Partial<InstancePut>> {
  if (ctx.stdinIsTTY) return {};
  const text = await ctx.readStdin();
  if (text.trim() === '') return {};
  return decodeYaml(instancePut, text) as InstancePut;
}

/** Resolves an alias or a (partial) fingerprint to the image record, as lxc does before creating. */
async function findImage(r: Resource, image: string): Promise<Image> {
  let target = image;
  try {
    const alias = await r.client.get<ImageAliasesEntry>(`/1.0/images/aliases/${encodeURIComponent(image)}`);
    target = alias.target;
  } catch (e) {
    if (!(e instanceof ApiError && e.status === 404)) throw e;
  }
  return r.client.get<Image>(`/1.0/images/${encodeURIComponent(target)}`);
}

/** lxc's guessImage: `remote/alias` names a remote's image when no local image has that name. */
async function guessImage(ctx: Context, r: Resource, iremote: string, image: string): Promise<{ remote: string; name: string }> {
  if (iremote !== r.remote) return { remote: iremote, name: image };
  const slash = image.indexOf('/');
  const first = slash < 0 ? image : image.slice(0, slash);
  if (!((await ctx.conf()).remotes[first])) return { remote: iremote, name: image };
  const exists = async (path: string): Promise<boolean> => r.client.get(path).then(() => true, () => false);
  if (await exists(`/1.0/images/aliases/${encodeURIComponent(image)}`)) return { remote: iremote, name: image };
  if (await exists(`/1.0/images/${encodeURIComponent(image)}`)) return { remote: iremote, name: image };
  if (slash < 0) {
    ctx.warn(`The local image '${image}' couldn't be found, trying '${first}:' instead.`);
    return { remote: first, name: 'default' };
  }
  ctx.warn(`The local image '${image}' couldn't be found, trying '${first}:${image.slice(slash + 1)}' instead.`);
  return { remote: first, name: image.slice(slash + 1) };
}

/**
 * lxc's CreateInstanceFromImage for an image on another server: the target pulls it (source.mode=pull, the source's
 * protocol, pinned certificate and addresses in turn; an alias for public images, else the fingerprint and a secret).
 */
async function createFromRemoteImage(ctx: Context, r: Resource, iremote: string, image: string, body: InstancesPost, vm: boolean, progress: Progress): Promise<Operation> {
  const source = await imageServer(ctx, iremote, true);
  let alias = '';
  let img: Partial<Image> & { fingerprint: string };
  if (source.protocol === 'simplestreams') {
    img = { fingerprint: image, public: true };
    alias = image;
  } else {
    let target = image;
    try {
      target = (await source.alias('', image)).target;
      alias = image;
    } catch {
      /* not an alias */
    }
    img = await source.image(target);
    if (img.type !== 'virtual-machine' && vm) throw new Error('Asked for a VM but image is of type container');
    body.type = img.type === 'virtual-machine' ? 'virtual-machine' : 'container';
  }
  const follow = (op: RemoteOperation): void => op.onUpdate((o) => progress.updateOp(o));
  if (await sameServer(r.client, source)) {
    body.source = { type: 'image', certificate: '', fingerprint: img.fingerprint, allow_inconsistent: false };
    const op = await r.client.instances.create(body);
    follow(op);
    return op.wait();
  }
  const info = await source.connectionInfo();
  const usesAlias = alias !== '' && img.public === true;
  const secret = img.public ? '' : await source.secret(img.fingerprint);
  const start = (server: string): Promise<RemoteOperation> => {
    const src = instanceSource({
      type: 'image',
      certificate: info.certificate,
      alias: usesAlias ? alias : '',
      fingerprint: usesAlias ? '' : img.fingerprint,
      server,
      secret,
      protocol: info.protocol,
      mode: 'pull',
      allow_inconsistent: false,
    });
    return r.client.instances.create({ ...body, source: src });
  };
  return tryAddresses(info.addresses, start, { msg: 'Failed instance creation', follow, whenNone: "The source server isn't listening on the network" });
}

/** Creates the instance; returns where it lives and its name (given by the server when none was typed). */
export async function createInstance(ctx: Context, args: string[], opts: CreateOpts): Promise<{ r: Resource; name: string }> {
  const stdin = await stdinInstance(ctx);
  let imageArg = args[0] ?? '';
  let targetArg = args[1] ?? '';
  if (opts.empty) {
    if (args.length > 1) throw new Error('--empty cannot be combined with an image name');
    targetArg = imageArg;
    imageArg = '';
  }
  const imageRef = imageArg ? await ctx.ref(imageArg) : undefined;
  const r = await ctx.resolve(targetArg);
  if (opts.target) {
    const srv = await r.client.server.get();
    if (!srv.server.environment?.server_clustered) throw new Error('To use --target, the destination remote must be a cluster');
    throw new Error('--target is not supported by lodge: clustering is not implemented');
  }
  if (opts.vm) throw new Error('Virtual machines are not supported by lodge');
  let name = r.name;
  if (!ctx.quiet) ctx.println(name === '' ? 'Creating the instance' : `Creating ${name}`);

  const devices: Devices = stdin.devices && Object.keys(stdin.devices).length > 0 ? structuredClone(stdin.devices) : {};
  if (opts.network) devices.eth0 = await launchNic(r.client, opts.network);
  const config = configFlags(opts.config ?? [], stdin.config && Object.keys(stdin.config).length > 0 ? stdin.config : {});
  if (opts.storage) {
    await r.client
      .get(`/1.0/storage-pools/${encodeURIComponent(opts.storage)}`)
      .catch((e: Error) => Promise.reject(new Error(`Failed loading storage pool "${opts.storage}": ${e.message}`)));
    devices.root = { type: 'disk', path: '/', pool: opts.storage };
  }
  let profiles: string[] | null = null;
  if (opts.profile && opts.profile.length > 0) profiles = opts.profile;
  else if (opts.noProfiles) profiles = [];
  else if (stdin.profiles && stdin.profiles.length > 0) profiles = stdin.profiles;

  const overrides = parseDeviceOverrides(opts.device ?? []);
  const needProfiles = Object.keys(overrides).some((d) => !(d in devices));
  const profileDevices: Devices = {};
  if (needProfiles) {
    for (const p of profiles && profiles.length > 0 ? profiles : ['default']) {
      const got = await r.client.profiles.get(p).catch((e: Error) => Promise.reject(new Error(`Failed loading profile "${p}" for device override: ${e.message}`)));
      Object.assign(profileDevices, got.profile.devices ?? {});
    }
  }
  for (const [dev, kv] of Object.entries(overrides)) {
    if (devices[dev]) Object.assign(devices[dev], kv);
    else {
      const inherited = profileDevices[dev];
      if (!inherited) throw new Error(`Cannot override config for device "${dev}": Device not found in profile devices`);
      devices[dev] = { ...inherited, ...kv };
    }
  }

  const body: InstancesPost = {
    architecture: '',
    config,
    devices,
    ephemeral: opts.ephemeral === true,
    profiles,
    stateful: false,
    description: '',
    name,
    source: { type: 'none', certificate: '', allow_inconsistent: false },
    instance_type: opts.type ?? '',
    type: 'container',
  };
  let final: Operation;
  if (imageRef) {
    const { remote: iremote, name: image } = await guessImage(ctx, r, imageRef.remote, imageRef.name);
    const progress = new Progress(ctx.io.stdout, 'Retrieving image: %s', ctx.quiet);
    try {
      if (iremote === r.remote) {
        const img = await findImage(r, image || 'default');
        body.source = { type: 'image', certificate: '', fingerprint: img.fingerprint, allow_inconsistent: false };
        body.type = img.type === 'virtual-machine' ? 'virtual-machine' : 'container';
        const op = await r.client.instances.create(body);
        op.onUpdate((o) => progress.updateOp(o));
        final = await op.wait();
      } else {
        final = await createFromRemoteImage(ctx, r, iremote, image || 'default', body, false, progress);
      }
    } finally {
      progress.done('');
    }
  } else {
    final = await (await r.client.instances.create(body)).wait();
  }
  if (name === '') {
    const res = final.resources ?? {};
    const urls = res.instances?.length ? res.instances : (res.containers ?? []);
    if (urls.length === 0) throw new Error("Didn't get any affected image, instance or snapshot from server");
    if (urls.length === 1) {
      const u = urls[0] ?? '';
      name = decodeURIComponent(u.slice(u.lastIndexOf('/') + 1).replace(/\?.*$/, ''));
      ctx.println(`Instance name is: ${name}`);
    }
  }
  await checkNetwork(ctx, r, name);
  return { r, name };
}

async function checkNetwork(ctx: Context, r: Resource, name: string): Promise<void> {
  try {
    const { instance } = await r.client.instances.get(name);
    if (Object.values(instance.expanded_devices ?? {}).some((d) => d.type === 'nic')) return;
  } catch {
    return;
  }
  ctx.warn("\nThe instance you are starting doesn't have any network attached to it.");
  ctx.warn('  To create a new network, use: lodge network create');
  ctx.warn('  To attach a network to an instance, use: lodge network attach\n');
}

function createFlags(cmd: Command): Command {
  return cmd
    .option('-c, --config <key=value>', 'Config key/value to apply to the new instance', collect)
    .option('-p, --profile <profile>', 'Profile to apply to the new instance', collect)
    .option('-d, --device <device,key=value>', 'New key/value to apply to a specific device', collect)
    .option('-e, --ephemeral', 'Ephemeral instance')
    .option('-n, --network <network>', 'Network name')
    .option('-s, --storage <pool>', 'Storage pool name')
    .option('-t, --type <type>', 'Instance type')
    .option('--target <member>', 'Cluster member name')
    .option('--no-profiles', 'Create the instance with no profiles applied')
    .option('--empty', 'Create an empty instance')
    .option('--vm', 'Create a virtual machine');
}

/** commander's --no-profiles sets `profiles: false`; turn that into lxc's flag. */
function createOpts(opts: Record<string, unknown>): CreateOpts {
  return {
    config: opts.config as string[] | undefined,
    profile: opts.profile as string[] | undefined,
    device: opts.device as string[] | undefined,
    ephemeral: opts.ephemeral === true,
    network: opts.network as string | undefined,
    storage: opts.storage as string | undefined,
    type: opts.type as string | undefined,
    target: opts.target as string | undefined,
    noProfiles: opts.profiles === false,
    empty: opts.empty === true,
    vm: opts.vm === true,
  };
}

export async function startAfterCreate(ctx: Context, r: Resource, name: string, pretty: string): Promise<void> {
  if (!ctx.quiet) ctx.println(`Starting ${name}`);
  const op = await r.client.instances.setState(name, { action: 'start', timeout: -1, force: false, stateful: false });
  if ((await op.settled()).finished) await op.wait();
  try {
    await waitWithProgress(ctx, op);
  } catch (e) {
    throw new Error(`${(e as Error).message}\nTry \`lodge info --show-log ${pretty}\` for more info`);
  }
}

export function registerLaunch(program: Command, app: App): void {
  createFlags(
    app.leaf(
      program,
      'init',
      {
        usage: '[<remote>:]<image> [<remote>:][<name>]',
        summary: 'Create instances from images',
        max: 2,
        examples: 'lodge init busybox c1\nlodge init busybox c1 < config.yaml\n    Create the instance with configuration from config.yaml',
      },
      async (ctx, args, opts, cmd) => {
        const o = createOpts(opts);
        if (args.length === 0 && !o.empty) {
          cmd.outputHelp();
          return;
        }
        await createInstance(ctx, args, o);
      },
    ),
  );
  createFlags(
    app.leaf(
      program,
      'launch',
      {
        usage: '[<remote>:]<image> [<remote>:][<name>]',
        summary: 'Create and start instances from images',
        min: 1,
        max: 2,
        examples: 'lodge launch busybox c1\nlodge launch busybox c1 < config.yaml\n    Create and start the instance with configuration from config.yaml',
      },
      async (ctx, args, opts) => {
        const { r, name } = await createInstance(ctx, args, createOpts(opts));
        const remotePrefix = (args[1] ?? '').includes(':') ? `${r.remote}:` : '';
        await startAfterCreate(ctx, r, name, `${remotePrefix}${name}`);
        if (opts.console) await attachConsole(ctx, `${r.remote}:${name}`, typeof opts.console === 'string' ? opts.console : 'console');
      },
    ),
  ).option('--console [type]', 'Immediately attach to the console');
}
