export default {
  displayName: 'pg-core',
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.spec.json' }] },
  moduleFileExtensions: ['ts', 'js', 'json'],
  testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/test-utils/**/*.spec.ts'],
  modulePathIgnorePatterns: ['<rootDir>/src/.*/files/'],
  testTimeout: 60000,
};
