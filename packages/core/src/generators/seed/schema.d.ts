export interface SeedGeneratorSchema {
  name: string;
  module?: string;
}
