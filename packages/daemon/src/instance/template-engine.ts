// A small Pongo2/Jinja subset for image templates: {{ var }}, config_get(), filters-free, {% if %}/{% else %}/{% endif %}.
export type TemplateContext = Record<string, unknown>;

function lookup(ctx: TemplateContext, path: string): unknown {
  let cur: unknown = ctx;
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

function literal(s: string): string | undefined {
  const m = /^"((?:[^"\\]|\\.)*)"$|^'((?:[^'\\]|\\.)*)'$/.exec(s.trim());
  if (!m) return undefined;
  return (m[1] ?? m[2] ?? '').replace(/\\(.)/g, '$1');
}

function evalExpr(expr: string, ctx: TemplateContext): unknown {
  const e = expr.trim();
  const lit = literal(e);
  if (lit !== undefined) return lit;
  if (/^-?\d+(\.\d+)?$/.test(e)) return Number(e);
  if (e === 'true' || e === 'false') return e === 'true';
  const call = /^config_get\(\s*("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')\s*(?:,\s*("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|\w+)\s*)?\)$/.exec(e);
  if (call) {
    const key = literal(call[1] ?? '') ?? '';
    const config = (ctx.config ?? {}) as Record<string, string>;
    if (key in config) return config[key];
    return call[2] === undefined ? '' : (literal(call[2]) ?? evalExpr(call[2], ctx));
  }
  if (/^[A-Za-z_][\w.]*$/.test(e)) return lookup(ctx, e);
  throw new Error(`Unsupported template expression "${e}"`);
}

function truthy(v: unknown): boolean {
  return v !== undefined && v !== null && v !== false && v !== '' && v !== 0;
}

function evalCondition(cond: string, ctx: TemplateContext): boolean {
  const c = cond.trim();
  if (c.startsWith('not ')) return !evalCondition(c.slice(4), ctx);
  const cmp = /^(.+?)\s*(==|!=)\s*(.+)$/.exec(c);
  if (cmp) {
    const eq = String(evalExpr(cmp[1] ?? '', ctx) ?? '') === String(evalExpr(cmp[3] ?? '', ctx) ?? '');
    return cmp[2] === '==' ? eq : !eq;
  }
  return truthy(evalExpr(c, ctx));
}

interface Frame {
  active: boolean;
  parentActive: boolean;
  matched: boolean;
}

/** Renders a template; unknown syntax is an error rather than silently kept. */
export function renderTemplate(src: string, ctx: TemplateContext): string {
  const tokens = src.split(/({{[\s\S]*?}}|{%[\s\S]*?%})/);
  const stack: Frame[] = [];
  const active = (): boolean => stack.length === 0 || stack[stack.length - 1]!.active;
  let out = '';
  for (const tok of tokens) {
    if (tok.startsWith('{{')) {
      if (active()) out += String(evalExpr(tok.slice(2, -2), ctx) ?? '');
    } else if (tok.startsWith('{%')) {
      const stmt = tok.slice(2, -2).trim();
      if (stmt.startsWith('if ')) {
        const parent = active();
        const ok = parent && evalCondition(stmt.slice(3), ctx);
        stack.push({ active: ok, parentActive: parent, matched: ok });
      } else if (stmt.startsWith('elif ')) {
        const f = stack[stack.length - 1];
        if (!f) throw new Error('elif without if');
        const ok = f.parentActive && !f.matched && evalCondition(stmt.slice(5), ctx);
        f.active = ok;
        f.matched ||= ok;
      } else if (stmt === 'else') {
        const f = stack[stack.length - 1];
        if (!f) throw new Error('else without if');
        f.active = f.parentActive && !f.matched;
        f.matched = true;
      } else if (stmt === 'endif') {
        if (!stack.pop()) throw new Error('endif without if');
      } else throw new Error(`Unsupported template statement "${stmt}"`);
    } else if (active()) out += tok;
  }
  if (stack.length > 0) throw new Error('Unterminated if in template');
  return out;
}
