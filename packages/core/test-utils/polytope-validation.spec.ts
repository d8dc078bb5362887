import { polytopeFileErrors } from './polytope-validation';

// The validators must be able to fail, or the generator tests that rely on them prove nothing.
describe('polytope.yml validators', () => {
  it('accept the blueprint example', () => {
    const ok = `modules:
  - id: postgres
    info: "Runs the PostgreSQL database server (blueprint: postgres)"
    module: polytope/postgres
    args:
      image: postgres:16.2
      data-volume: { id: postgres-data, type: volume, scope: project }
      env:
        - { name: POSTGRES_HOST_AUTH_METHOD, value: trust }
      restart: { policy: on-failure }
      service-id: postgres
`;
    expect(polytopeFileErrors(ok)).toEqual([]);
  });

  it.each([
    ['a module without id', 'modules:\n  - module: polytope/postgres\n'],
    ['an unknown top-level key', 'values:\n  a: b\n'],
    [
      'an undeclared arg',
      'modules:\n  - id: pg\n    module: polytope/postgres\n    args: { data-path: /x }\n',
    ],
    [
      'a volume with a path',
      'modules:\n  - id: pg\n    module: polytope/postgres\n    args: { data-volume: { type: volume, path: /x } }\n',
    ],
    [
      'a bad restart policy',
      'modules:\n  - id: pg\n    module: polytope/postgres\n    args: { restart: { policy: never } }\n',
    ],
    [
      'an env value that is a map',
      'modules:\n  - id: pg\n    module: polytope/postgres\n    args: { env: [ { name: A, value: { x: 1 } } ] }\n',
    ],
    [
      'an undeclared tool arg',
      'tools:\n  pg:\n    run:\n      - tool: polytope/postgres\n        args: { volume: x }\n',
    ],
    [
      'a dbmate container with a relative mount path',
      'modules:\n  - id: m\n    module: polytope/container\n    args: { image: ghcr.io/amacneil/dbmate:2.36.0, mounts: [ { path: db, source: { type: host, path: x } } ] }\n',
    ],
    [
      'a dbmate container with an undeclared arg',
      'modules:\n  - id: m\n    module: polytope/container\n    args: { image: ghcr.io/amacneil/dbmate:2.36.0, after: pg }\n',
    ],
    [
      'a dbmate container with a bad restart policy',
      'modules:\n  - id: m\n    module: polytope/container\n    args: { image: ghcr.io/amacneil/dbmate:2.36.0, restart: { policy: sometimes } }\n',
    ],
  ])('reject %s', (_name, text) => {
    expect(polytopeFileErrors(text).length).toBeGreaterThan(0);
  });
});
