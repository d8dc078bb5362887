import { scriptProblem } from './backup-verify';
import { dbnameConninfo } from './restore';

const HEAD = '--\n-- PostgreSQL database dump\n--\n\n\\restrict abc123\n\nSET x = 1;\n';
const TAIL = '\n--\n-- PostgreSQL database dump complete\n--\n\n\\unrestrict abc123\n\n';

describe('scriptProblem', () => {
  it('a whole dump, with or without restrict keys, is whole', () => {
    expect(scriptProblem(HEAD, `COPY t FROM stdin;\n1\n\\.\n${TAIL}`)).toBeUndefined();
    expect(
      scriptProblem('-- old dump\n', '\n--\n-- PostgreSQL database dump complete\n--\n\n'),
    ).toBeUndefined();
  });

  it('a dump cut anywhere before its end is not', () => {
    const whole = `${HEAD}COPY t FROM stdin;\n1\n2\n\\.\n${TAIL}`;
    for (let cut = 1; cut < whole.length - 2; cut++)
      expect(scriptProblem(whole.slice(0, cut), whole.slice(0, cut))).toMatch(/cut short/);
  });

  it('two dumps in one file have two keys; text after the end is refused', () => {
    expect(scriptProblem(HEAD, TAIL.replace('abc123', 'zzz999'))).toContain(
      'two dumps were written into one file',
    );
    expect(scriptProblem(HEAD, `${TAIL}SELECT 1;\n`)).toContain('text after the end');
  });
});

describe('dbnameConninfo', () => {
  it.each([
    ['a=b', "dbname='a=b'"],
    ["it's", "dbname='it\\'s'"],
    ['back\\slash', "dbname='back\\\\slash'"],
    ['host=evil password=x', "dbname='host=evil password=x'"],
  ])('%s is one quoted dbname', (name, conninfo) => {
    expect(dbnameConninfo(name)).toBe(conninfo);
  });
});
