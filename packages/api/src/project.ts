// Projects: namespaces for instances, images and profiles.
export interface ProjectPut {
  config: Record<string, string>;
  description: string;
}

export interface ProjectsPost extends Partial<ProjectPut> {
  name: string;
}

export interface ProjectPost {
  name: string;
}

export interface Project extends ProjectPut {
  name: string;
  used_by: string[];
}

export interface ProjectStateResource {
  Limit: number;
  Usage: number;
}

export interface ProjectState {
  resources: Record<string, ProjectStateResource>;
}
