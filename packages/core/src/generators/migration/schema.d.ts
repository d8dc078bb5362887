export interface MigrationGeneratorSchema {
  name: string;
  module?: string;
}
