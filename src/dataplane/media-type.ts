/** The media type of a Content-Type header, lower-cased, without parameters: `application/json`. */
export function mediaType(header: string | undefined): string {
  if (header === undefined) return '';
  const semicolon = header.indexOf(';');
  return (semicolon === -1 ? header : header.slice(0, semicolon)).trim().toLowerCase();
}

/** `application/json` or a structured `application/*+json` type (RFC 6839), the bodies the gateway reads as JSON. */
export function isJsonMediaType(header: string | undefined): boolean {
  const type = mediaType(header);
  return type === 'application/json' || (type.startsWith('application/') && type.endsWith('+json'));
}
