// `lodge profile ...`: list, show, create, copy, edit, get/set/unset, rename, delete, and `profile device ...`.
import type { Command } from 'commander';
import type { Profile, ProfilePut } from '@lodge/api';
import type { App } from '../app.js';
import type { Context, Resource } from '../context.js';
import { edit } from '../editor.js';
import { profile as profileShape, profilePut } from '../format/shapes.js';
import { listOf } from '../format/gotypes.js';
import { sortRows } from '../format/natural.js';
import { renderList, toYaml } from '../output.js';
import { formatOf, setConfigKeys, withFormat } from './common.js';
import { registerDevices } from './devices.js';
import { instanceRef, updateInstance, writable as instanceWritable } from './instance-common.js';

/** `profile add/remove/assign`: change an instance's profile list (GET, PUT with If-Match, wait). */
function registerInstanceProfiles(profile: Command, app: App): void {
  const inst = '[<remote>:]<instance>';
  app.leaf(profile, 'add', { usage: `${inst} <profile>`, summary: 'Add profiles to instances', min: 2, max: 2 }, async (ctx, args) => {
    const r = await instanceRef(ctx, args[0] ?? '');
    await updateInstance(r, (i) => {
      const put = instanceWritable(i);
      put.profiles.push(args[1] ?? '');
      return put;
    });
    ctx.say(`Profile ${args[1] ?? ''} added to ${r.name}`);
  });
  app.leaf(
    profile,
    'assign',
    {
      usage: `${inst} <profiles>`,
      summary: 'Assign sets of profiles to instances',
      aliases: ['apply'],
      min: 2,
      max: 2,
      examples:
        'lodge profile assign foo default,bar\n    Set the profiles for "foo" to "default" and "bar".\n\nlodge profile assign foo default\n    Reset "foo" to only using the "default" profile.\n\nlodge profile assign foo \'\'\n    Remove all profile from "foo"',
    },
    async (ctx, args) => {
      const r = await instanceRef(ctx, args[0] ?? '');
      const list = args[1] ?? '';
      await updateInstance(r, (i) => ({ ...instanceWritable(i), profiles: list !== '' ? list.split(',') : (null as unknown as string[]) }));
      ctx.say(`Profiles ${list === '' ? '(none)' : list} applied to ${r.name}`);
    },
  );
  app.leaf(profile, 'remove', { usage: `${inst} <profile>`, summary: 'Remove profiles from instances', min: 2, max: 2 }, async (ctx, args) => {
    const r = await instanceRef(ctx, args[0] ?? '');
    const name = args[1] ?? '';
    await updateInstance(r, (i) => {
      if (!(i.profiles ?? []).includes(name)) throw new Error(`Profile ${name} isn't currently applied to ${r.name}`);
      return { ...instanceWritable(i), profiles: (i.profiles ?? []).filter((p) => p !== name) };
    });
    ctx.say(`Profile ${name} removed from ${r.name}`);
  });
}

const editHelp = `### This is a YAML representation of the profile.
### Any line starting with a '# will be ignored.
###
### A profile consists of a set of configuration items followed by a set of
### devices.
###
### An example would look like:
### name: onenic
### config:
###   raw.lxc: lxc.aa_profile=unconfined
### devices:
###   eth0:
###     nictype: bridged
###     parent: lxdbr0
###     type: nic
###
### Note that the name is shown but cannot be changed`;

async function named(ctx: Context, raw: string): Promise<Resource> {
  const r = await ctx.resolve(raw);
  if (r.name === '') throw new Error('Missing profile name');
  return r;
}

export function writable(p: Profile): ProfilePut {
  return { config: p.config ?? {}, description: p.description ?? '', devices: p.devices ?? {} };
}

async function list(ctx: Context, args: string[], opts: Record<string, unknown>): Promise<void> {
  const { client } = await ctx.resolve(args[0] ?? '');
  const profiles = await client.profiles.list();
  const rows = profiles.map((p) => [p.name, p.description ?? '', String((p.used_by ?? []).length)]);
  ctx.print(renderList(formatOf(opts), ['NAME', 'DESCRIPTION', 'USED BY'], sortRows(rows), profiles, listOf(profileShape)));
}

async function create(ctx: Context, args: string[]): Promise<void> {
  const r = await named(ctx, args[0] ?? '');
  await r.client.query('POST', '/1.0/profiles', { config: null, description: '', devices: null, name: r.name });
  ctx.say(`Profile ${r.name} created`);
}

async function copy(ctx: Context, args: string[], opts: Record<string, unknown>): Promise<void> {
  const src = await ctx.resolve(args[0] ?? '');
  const dst = await ctx.resolve(args[1] ?? '');
  if (src.name === '') throw new Error('Missing source profile name');
  const { profile } = await src.client.profiles.get(src.name);
  const to = typeof opts.targetProject === 'string' && opts.targetProject ? dst.client.useProject(opts.targetProject) : dst.client;
  await to.query('POST', '/1.0/profiles', { ...writable(profile), name: dst.name || src.name });
}

async function setKeys(ctx: Context, args: string[]): Promise<void> {
  const r = await named(ctx, args[0] ?? '');
  await setConfigKeys(ctx, r, args.slice(1), {
    load: async (res) => {
      const { profile, etag } = await res.client.profiles.get(res.name);
      return { put: writable(profile), etag };
    },
    store: (res, put, etag) => res.client.profiles.update(res.name, put, etag),
  });
}

async function editProfile(ctx: Context, args: string[]): Promise<void> {
  const r = await named(ctx, args[0] ?? '');
  await edit(ctx, {
    shape: profilePut,
    help: editHelp,
    current: async () => {
      const { profile, etag } = await r.client.profiles.get(r.name);
      return { yaml: toYaml(profileShape, profile), etag };
    },
    apply: async (body, etag) => void (await r.client.query('PUT', `/1.0/profiles/${encodeURIComponent(r.name)}`, body, { etag })),
  });
}

function registerDeviceCommands(profile: Command, app: App): void {
  registerDevices<Profile>(profile, app, {
    noun: 'profile',
    load: async (r) => {
      const { profile: p, etag } = await r.client.profiles.get(r.name);
      p.devices ??= {};
      return { obj: p, etag };
    },
    devices: (p) => p.devices,
    store: (r, p, etag) => r.client.profiles.update(r.name, writable(p), etag),
  });
}

export function registerProfile(program: Command, app: App): void {
  const profile = app.group(program, 'profile', 'Manage profiles');
  registerInstanceProfiles(profile, app);
  const one = '[<remote>:]<profile>';

  app.leaf(profile, 'copy', { usage: `${one} [<remote>:]<profile>`, summary: 'Copy profiles', aliases: ['cp'], min: 2, max: 2 }, copy).option(
    '--target-project <project>',
    'Copy to a project different from the source',
  );
  app.leaf(profile, 'create', { usage: one, summary: 'Create profiles', min: 1, max: 1 }, create);
  app.leaf(profile, 'delete', { usage: one, summary: 'Delete profiles', aliases: ['rm'], min: 1, max: 1 }, async (ctx, args) => {
    const r = await named(ctx, args[0] ?? '');
    await r.client.profiles.delete(r.name);
    ctx.say(`Profile ${r.name} deleted`);
  });
  registerDeviceCommands(profile, app);
  app.leaf(
    profile,
    'edit',
    { usage: one, summary: 'Edit profile configurations as YAML', min: 1, max: 1, examples: 'lodge profile edit <profile> < profile.yaml\n    Update a profile using the content of profile.yaml' },
    editProfile,
  );
  app.leaf(profile, 'get', { usage: `${one} <key>`, summary: 'Get values for profile configuration keys', min: 2, max: 2 }, async (ctx, args) => {
    const r = await named(ctx, args[0] ?? '');
    const { profile: p } = await r.client.profiles.get(r.name);
    ctx.println((p.config ?? {})[args[1] ?? ''] ?? '');
  });
  withFormat(app.leaf(profile, 'list', { usage: '[<remote>:]', summary: 'List profiles', aliases: ['ls'], max: 1 }, list));
  app.leaf(profile, 'rename', { usage: `${one} <new-name>`, summary: 'Rename profiles', aliases: ['mv'], min: 2, max: 2 }, async (ctx, args) => {
    const r = await named(ctx, args[0] ?? '');
    await r.client.profiles.rename(r.name, args[1] ?? '');
    ctx.say(`Profile ${r.name} renamed to ${args[1] ?? ''}`);
  });
  app.leaf(
    profile,
    'set',
    {
      usage: `${one} <key><value>...`,
      summary: 'Set profile configuration keys',
      description: 'Set profile configuration keys\n\nFor backward compatibility, a single configuration key may still be set with:\n    lodge profile set [<remote>:]<profile> <key> <value>',
      min: 2,
      max: -1,
    },
    setKeys,
  );
  app.leaf(profile, 'show', { usage: one, summary: 'Show profile configurations', min: 1, max: 1 }, async (ctx, args) => {
    const r = await named(ctx, args[0] ?? '');
    ctx.print(toYaml(profileShape, (await r.client.profiles.get(r.name)).profile));
  });
  app.leaf(profile, 'unset', { usage: `${one} <key>`, summary: 'Unset profile configuration keys', min: 2, max: 2 }, (ctx, args) => setKeys(ctx, [...args, '']));
}
