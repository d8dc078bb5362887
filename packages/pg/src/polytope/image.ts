/** The PostgreSQL major version an image reference names, or null when its tag does not say. */
export function imageMajor(image: string): number | null {
  const withoutDigest = image.split('@')[0];
  const lastSlash = withoutDigest.lastIndexOf('/');
  const colon = withoutDigest.indexOf(':', lastSlash + 1);
  if (colon === -1) return null;
  const m = /^(\d+)(?:[.\-_]|$)/.exec(withoutDigest.slice(colon + 1));
  return m ? Number(m[1]) : null;
}

export const IMAGE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._\-/:@]*$/;
