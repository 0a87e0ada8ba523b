// API URLs of objects, with ?project= outside the default project as LXD writes them.
export function apiUrl(path: string, project: string): string {
  if (project === 'default') return path;
  return `${path}${path.includes('?') ? '&' : '?'}project=${encodeURIComponent(project)}`;
}

export function seg(name: string): string {
  return encodeURIComponent(name);
}
