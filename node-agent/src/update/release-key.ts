/**
 * What `ora-agent update` trusts, pinned in the package: the project's Ed25519 release public key
 * (base64url) and where the signed release manifest lives. The key's private half never touches a
 * build machine (docs/RELEASING.md). Replacing the key is itself a release, signed with the old key,
 * so that agents in the field learn the new one from a manifest they can verify.
 *
 * Until the first release this is a placeholder whose private half was not kept: nothing can be
 * signed for it. Make the real key offline and pin its public half here (docs/RELEASING.md, 5).
 */
export const RELEASE_PUBLIC_KEY = "ZsjVRko2Axn75rT8N03ccFwNdgmvM0TYcwWdVVrTiSY";

/**
 * The manifest's address on the project's release site, unless ORA_RELEASE_MANIFEST_URL says
 * otherwise. A placeholder under the reserved .example name until the site exists (docs/RELEASING.md).
 */
export const DEFAULT_MANIFEST_URL = "https://releases.ora.example/ora-agent/manifest.json";
