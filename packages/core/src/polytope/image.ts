import { DEFAULT_IMAGE } from './postgres-module';

function split(image: string): { repository: string; tag?: string; digest?: string } {
  const [withoutDigest, digest] = image.split('@');
  const colon = withoutDigest.indexOf(':', withoutDigest.lastIndexOf('/') + 1);
  return colon === -1
    ? { repository: withoutDigest, digest }
    : { repository: withoutDigest.slice(0, colon), tag: withoutDigest.slice(colon + 1), digest };
}

/** The PostgreSQL major version an image reference names, or null when its tag does not say. */
export function imageMajor(image: string): number | null {
  const { tag } = split(image);
  const m = tag === undefined ? null : /^(\d+)(?:[.\-_]|$)/.exec(tag);
  return m ? Number(m[1]) : null;
}

/** The major of a new module's image: the one to suggest when nothing else says. */
export const DEFAULT_MAJOR = imageMajor(DEFAULT_IMAGE)!;

export const IMAGE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._\-/:@]*$/;

/**
 * Why an image whose tag names no major is a problem: `postgres` is `postgres:latest`, which moves
 * to a new major that cannot open the old data, and db-up cannot tell which server matches.
 */
export function unpinnedImageProblem(image: string): string {
  const { tag, digest } = split(image);
  if (tag === undefined && digest !== undefined)
    return `Image '${image}' names no PostgreSQL major version (a digest only): db-up cannot tell which server to run`;
  return `Image '${image}' names no PostgreSQL major version (${tag === undefined ? 'no tag, so latest' : `tag '${tag}'`}): the stack may start a newer major that cannot open the data, and db-up cannot tell which server to run`;
}

/**
 * The same image, tagged with a major: `postgres` → `postgres:16`. A digest is kept, and then the
 * major is left for the user to fill in unless given: only they know what the digest holds.
 */
export function withMajor(image: string, major?: number | string): string {
  const { repository, digest } = split(image);
  if (digest !== undefined) return `${repository}:${major ?? '<major>'}@${digest}`;
  return `${repository}:${major ?? DEFAULT_MAJOR}`;
}
