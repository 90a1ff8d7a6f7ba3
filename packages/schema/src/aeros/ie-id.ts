/**
 * What a configured IE id (`NODE_IE_ID`) must look like: a URN (`urn:<NID>:<NSS>`, RFC 8141's
 * characters, no spaces, no `?`/`#` components), at most 256 characters. aerOS ids are URNs such as
 * `urn:ngsi-ld:InfrastructureElement:CloudFerro:2473d6a5a43b`.
 */
export const IE_ID_PATTERN = /^urn:[A-Za-z0-9][A-Za-z0-9-]{0,31}:[A-Za-z0-9()+,\-.:=@;$_!*'%/~]+$/;
export const IE_ID_MAX_LENGTH = 256;
