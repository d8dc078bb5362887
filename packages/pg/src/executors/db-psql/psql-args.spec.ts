import { connectionOverride } from '@acme/pg-core/src/commands/db-psql/psql-args';

describe("db-psql's check of psql arguments", () => {
  it.each([
    ['-h', 'other'],
    ['-hother'],
    ['-Uother'],
    ['-dother'],
    ['-p5433'],
    ['-qhother'],
    ['-W'],
    ['--host=other'],
    ['--host', 'other'],
    ['--ho=other'],
    ['--dbname=postgresql://u:p@elsewhere/db'],
    ['--user=x'],
    ['--password'],
    ['-c', 'SELECT 1', 'otherdb'],
    ['postgresql://u:p@elsewhere/db'],
    ['host=elsewhere dbname=x'],
    ['-f', 'x.sql', '--', 'otherdb'],
  ])('refuses %j', (...args) => {
    expect(connectionOverride(args)).toBeDefined();
  });

  it.each([
    [],
    ['-c', 'SELECT 1'],
    ['-c', '-hnot-a-flag'],
    ['-f', 'sql/postgres/001-app-user.sql'],
    ['-fsql/x.sql'],
    ['-v', 'x=-h'],
    ['-qAt', '-c', 'SELECT 1'],
    ['--command=SELECT 1', '--set', 'a=b', '-X'],
    ['--file', 'x.sql', '--echo-all'],
    ['-1', '-X', '-w'],
  ])('lets through %j', (...args) => {
    expect(connectionOverride(args)).toBeUndefined();
  });
});
