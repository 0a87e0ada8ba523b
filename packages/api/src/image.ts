// Images, image aliases and image metadata (metadata.yaml).
export interface ImageAlias {
  name: string;
  description: string;
}

export interface ImageSource {
  alias: string;
  certificate: string;
  protocol: string;
  server: string;
  image_type: string;
}

export interface ImagePut {
  auto_update: boolean;
  properties: Record<string, string>;
  public: boolean;
  expires_at: string;
  profiles: string[];
}

export interface Image extends ImagePut {
  aliases: ImageAlias[];
  architecture: string;
  cached: boolean;
  filename: string;
  fingerprint: string;
  size: number;
  update_source?: ImageSource;
  type: string;
  created_at: string;
  last_used_at: string;
  uploaded_at: string;
}

export interface ImagesPostSource extends Partial<ImageSource> {
  mode?: string;
  type?: string;
  url?: string;
  name?: string;
  fingerprint?: string;
  secret?: string;
  project?: string;
}

export interface ImagesPost extends Partial<ImagePut> {
  filename?: string;
  source?: ImagesPostSource | null;
  compression_algorithm?: string;
  aliases?: ImageAlias[] | null;
}

export interface ImageExportPost {
  target: string;
  secret: string;
  certificate: string;
  aliases: ImageAlias[] | null;
  project: string;
  profiles: string[] | null;
}

export interface ImageAliasesEntryPut {
  description: string;
  target: string;
}

export interface ImageAliasesEntry extends ImageAliasesEntryPut {
  name: string;
  type: string;
}

export type ImageAliasesPost = ImageAliasesEntry;

export interface ImageAliasesEntryPost {
  name: string;
}

export interface ImageMetadataTemplate {
  when: string[];
  create_only: boolean;
  template: string;
  properties: Record<string, string>;
}

export interface ImageMetadata {
  architecture: string;
  creation_date: number;
  expiry_date: number;
  properties: Record<string, string>;
  templates: Record<string, ImageMetadataTemplate>;
}
