// `lodge project ...`: list, show, create, delete, edit, get/set/unset, rename, switch (saved in the CLI config) and info.
import type { Command } from 'commander';
import type { Project, ProjectPut, ProjectState } from '@lodge/api';
import type { App } from '../app.js';
import { collect } from '../args.js';
import type { Context, Resource } from '../context.js';
import { edit } from '../editor.js';
import { project as projectShape, projectPut, projectState } from '../format/shapes.js';
import { listOf } from '../format/gotypes.js';
import { sortRows } from '../format/natural.js';
import { byteSizeIEC } from '../format/units.js';
import { renderList, toYaml } from '../output.js';
import { formatOf, setConfigKeys, withFormat, yesNo } from './common.js';

const editHelp = `### This is a YAML representation of the project.
### Any line starting with a '# will be ignored.
###
### A project consists of a set of features and a description.
###
### An example would look like:
### name: my-project
### features:
###   images: True
###   profiles: True
### description: My own project
###
### Note that the name is shown but cannot be changed`;

const isTrue = (v: string | undefined): boolean => ['true', '1', 'yes', 'on'].includes((v ?? '').toLowerCase());

async function named(ctx: Context, raw: string): Promise<Resource> {
  const r = await ctx.resolve(raw);
  if (r.name === '') throw new Error('Missing project name');
  return r;
}

function writable(p: Project): ProjectPut {
  return { config: p.config ?? {}, description: p.description ?? '' };
}

async function list(ctx: Context, args: string[], opts: Record<string, unknown>): Promise<void> {
  const conf = await ctx.conf();
  const remoteArg = args[0] ?? conf['default-remote'];
  const { client } = await ctx.resolve(remoteArg);
  const current = conf.remotes[remoteArg.replace(/:$/, '')]?.project || 'default';
  const projects = await client.projects.list();
  const rows = projects.map((p) => {
    const c = p.config ?? {};
    return [
      p.name === current ? `${p.name} (current)` : p.name,
      yesNo(isTrue(c['features.images'])),
      yesNo(isTrue(c['features.profiles'])),
      yesNo(isTrue(c['features.storage.volumes'])),
      yesNo(isTrue(c['features.networks'])),
      p.description ?? '',
      String((p.used_by ?? []).length),
    ];
  });
  const header = ['NAME', 'IMAGES', 'PROFILES', 'STORAGE VOLUMES', 'NETWORKS', 'DESCRIPTION', 'USED BY'];
  ctx.print(renderList(formatOf(opts), header, sortRows(rows), projects, listOf(projectShape)));
}

async function create(ctx: Context, args: string[], opts: Record<string, unknown>): Promise<void> {
  const r = await named(ctx, args[0] ?? '');
  const config: Record<string, string> = {};
  for (const entry of (opts.config as string[] | undefined) ?? []) {
    const eq = entry.indexOf('=');
    if (eq < 0) throw new Error(`Bad key=value pair: ${entry}`);
    config[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  await r.client.query('POST', '/1.0/projects', { config, description: '', name: r.name });
  ctx.say(`Project ${r.name} created`);
}

async function remove(ctx: Context, args: string[]): Promise<void> {
  const r = await named(ctx, args[0] ?? '');
  await r.client.projects.delete(r.name);
  ctx.say(`Project ${r.name} deleted`);
  const conf = await ctx.conf();
  const remote = conf.remotes[r.remote];
  if (remote && remote.project === r.name) {
    delete remote.project;
    await ctx.saveConf(conf);
  }
}

async function setKeys(ctx: Context, args: string[]): Promise<void> {
  const r = await named(ctx, args[0] ?? '');
  await setConfigKeys(ctx, r, args.slice(1), {
    load: async (res) => {
      const { project, etag } = await res.client.projects.get(res.name);
      return { put: writable(project), etag };
    },
    store: (res, put, etag) => res.client.projects.update(res.name, put, etag),
  });
}

async function switchProject(ctx: Context, args: string[]): Promise<void> {
  const r = await ctx.resolve(args[0] ?? '');
  await r.client.projects.get(r.name);
  const conf = await ctx.conf();
  const remote = conf.remotes[r.remote];
  if (!remote) throw new Error(`Remote ${r.remote} doesn't exist`);
  remote.project = r.name;
  await ctx.saveConf(conf);
}

async function info(ctx: Context, args: string[], opts: Record<string, unknown>): Promise<void> {
  const r = await named(ctx, args[0] ?? '');
  const state = await r.client.get<ProjectState>(`/1.0/projects/${encodeURIComponent(r.name)}/state`);
  const bytes = new Set(['disk', 'memory']);
  const rows = Object.entries(state.resources ?? {}).map(([k, v]) => {
    const fmt = (n: number): string => (bytes.has(k) ? byteSizeIEC(n, 2) : String(n));
    return [k.toUpperCase(), v.Limit >= 0 ? fmt(v.Limit) : 'UNLIMITED', fmt(v.Usage)];
  });
  ctx.print(renderList(formatOf(opts), ['RESOURCE', 'LIMIT', 'USAGE'], sortRows(rows), state, projectState));
}

function registerEditing(project: Command, app: App, one: string): void {
  app.leaf(
    project,
    'edit',
    { usage: one, summary: 'Edit project configurations as YAML', min: 1, max: 1, examples: 'lodge project edit <project> < project.yaml\n    Update a project using the content of project.yaml' },
    async (ctx, args) => {
      const r = await named(ctx, args[0] ?? '');
      await edit(ctx, {
        shape: projectPut,
        help: editHelp,
        current: async () => {
          const { project: p, etag } = await r.client.projects.get(r.name);
          return { yaml: toYaml(projectShape, p), etag };
        },
        apply: async (body, etag) => void (await r.client.query('PUT', `/1.0/projects/${encodeURIComponent(r.name)}`, body, { etag })),
      });
    },
  );
  app.leaf(project, 'get', { usage: `${one} <key>`, summary: 'Get values for project configuration keys', min: 2, max: 2 }, async (ctx, args) => {
    const r = await named(ctx, args[0] ?? '');
    ctx.println(((await r.client.projects.get(r.name)).project.config ?? {})[args[1] ?? ''] ?? '');
  });
  app.leaf(
    project,
    'set',
    {
      usage: `${one} <key>=<value>...`,
      summary: 'Set project configuration keys',
      description: 'Set project configuration keys\n\nFor backward compatibility, a single configuration key may still be set with:\n    lodge project set [<remote>:]<project> <key> <value>',
      min: 2,
      max: -1,
    },
    setKeys,
  );
  app.leaf(project, 'unset', { usage: `${one} <key>`, summary: 'Unset project configuration keys', min: 2, max: 2 }, (ctx, args) => setKeys(ctx, [...args, '']));
}

export function registerProject(program: Command, app: App): void {
  const project = app.group(program, 'project', 'Manage projects');
  const one = '[<remote>:]<project>';
  app
    .leaf(project, 'create', { usage: one, summary: 'Create projects', min: 1, max: 1 }, create)
    .option('-c, --config <key=value>', 'Config key/value to apply to the new project', collect, []);
  app.leaf(project, 'delete', { usage: one, summary: 'Delete projects', aliases: ['rm'], min: 1, max: 1 }, remove);
  registerEditing(project, app, one);
  withFormat(app.leaf(project, 'info', { usage: `${one}`, summary: 'Get a summary of resource allocations', min: 1, max: 1 }, info));
  withFormat(app.leaf(project, 'list', { usage: '[<remote>:]', summary: 'List projects', aliases: ['ls'], max: 1 }, list));
  app.leaf(project, 'rename', { usage: `${one} <new-name>`, summary: 'Rename projects', aliases: ['mv'], min: 2, max: 2 }, async (ctx, args) => {
    const r = await named(ctx, args[0] ?? '');
    await r.client.projects.rename(r.name, args[1] ?? '');
    ctx.say(`Project ${r.name} renamed to ${args[1] ?? ''}`);
  });
  app.leaf(project, 'show', { usage: one, summary: 'Show project options', min: 1, max: 1 }, async (ctx, args) => {
    const r = await named(ctx, args[0] ?? '');
    ctx.print(toYaml(projectShape, (await r.client.projects.get(r.name)).project));
  });
  app.leaf(project, 'switch', { usage: one, summary: 'Switch the current project', min: 1, max: 1 }, switchProject);
}
