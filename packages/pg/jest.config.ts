export default {
  displayName: 'pg',
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.spec.json' }] },
  moduleFileExtensions: ['ts', 'js', 'json'],
  // @acme/pg-core from its sources, as tsconfig.base.json maps it.
  moduleNameMapper: {
    '^@acme/pg-core/package.json$': '<rootDir>/../core/package.json',
    '^@acme/pg-core/(src|test-utils)/(.*)$': '<rootDir>/../core/$1/$2',
  },
  testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/test-utils/**/*.spec.ts'],
  modulePathIgnorePatterns: ['<rootDir>/src/.*/files/'],
  testTimeout: 60000,
};
