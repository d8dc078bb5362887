export interface ModuleGeneratorSchema {
  id?: string;
  image?: string;
  serviceId?: string;
  volumeId?: string;
  auth?: 'scram-sha-256' | 'md5' | 'trust';
  allowTrust?: boolean;
  restart?: 'on-failure' | 'always';
  maxRestarts?: number;
  sharedBuffers?: string;
  workMem?: string;
  maxConnections?: number;
  initdbArgs?: string;
  walDir?: string;
  template?: string;
  migrations?: boolean;
  polytopeFile?: string;
  scriptsDir?: string;
  skipFormat?: boolean;
  skipPackageJson?: boolean;
  addPlugin?: boolean;
  convert?: boolean;
  allowMajorUpgrade?: boolean;
}
