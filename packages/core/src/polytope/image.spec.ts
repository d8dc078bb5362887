import { imageMajor, unpinnedImageProblem, withMajor } from './image';

describe('image references', () => {
  it.each([
    ['postgres:16.2', 16],
    ['postgres:16', 16],
    ['postgres:15-alpine', 15],
    ['registry.example.com:5000/library/postgres:17.1@sha256:abc', 17],
    ['postgres', null],
    ['postgres:latest', null],
    ['registry.example.com:5000/postgres', null],
    ['postgres@sha256:abc', null],
  ])('imageMajor(%s) is %s', (image, major) => {
    expect(imageMajor(image)).toBe(major);
  });

  it('names why an image without a major is a problem, and pins it', () => {
    expect(unpinnedImageProblem('postgres')).toContain('(no tag, so latest): the stack may start');
    expect(unpinnedImageProblem('postgres:alpine')).toContain("(tag 'alpine')");
    // A digest cannot move, but its major is still unknown.
    expect(unpinnedImageProblem('postgres@sha256:abc')).toBe(
      "Image 'postgres@sha256:abc' names no PostgreSQL major version (a digest only): db-up cannot tell which server to run",
    );
    expect(withMajor('registry.example.com:5000/postgres')).toBe(
      'registry.example.com:5000/postgres:16',
    );
    expect(withMajor('postgres:latest', 15)).toBe('postgres:15');
    expect(withMajor('postgres@sha256:abc')).toBe('postgres:<major>@sha256:abc');
  });
});
