// Image references and which containers a deploy changes: pure, so the rules a
// reviewer relies on are unit-tested without a cluster.

export interface ImageRef {
  /** Registry host (if any) and path, without tag or digest: what "the same image" means. */
  repository: string;
  tag?: string;
  digest?: string;
}

const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const DOMAIN = /^(?:localhost|[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*)(?::\d{1,5})?$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$/;

/** The distribution reference grammar (domain/path:tag@digest); undefined when it does not parse. */
export function parseImage(ref: string): ImageRef | undefined {
  if (!ref || ref.length > 4096 || /\s/.test(ref)) return undefined;
  let rest = ref;
  let digest: string | undefined;
  const at = rest.indexOf("@");
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) return undefined;
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(":");
  if (colon > rest.lastIndexOf("/")) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) return undefined;
  }
  const parts = rest.split("/");
  // The first part is a registry only if it looks like a host (a dot, a port, or localhost), as docker decides.
  const first = parts[0] ?? "";
  const hasDomain = parts.length > 1 && (first.includes(".") || first.includes(":") || first === "localhost");
  if (hasDomain && !DOMAIN.test(first)) return undefined;
  const path = hasDomain ? parts.slice(1) : parts;
  if (!path.length || !path.every((p) => COMPONENT.test(p))) return undefined;
  return { repository: rest, ...(tag ? { tag } : {}), ...(digest ? { digest } : {}) };
}

export interface ContainerChange {
  container: string;
  from: string;
  to: string;
}

export type Selection = { ok: true; changes: ContainerChange[]; unchanged: string[] } | { ok: false; reason: string };

/**
 * Which containers get the new image: the one named in config; else those whose image
 * has the same repository; else the only container. Anything else is ambiguous and
 * refused, because guessing would roll the wrong container.
 */
export function selectContainers(containers: { name: string; image: string }[], image: string, named?: string): Selection {
  const wanted = parseImage(image);
  if (!wanted) return { ok: false, reason: `'${image}' is not an image reference` };
  let targets: { name: string; image: string }[];
  if (named) {
    const c = containers.find((x) => x.name === named);
    if (!c) return { ok: false, reason: `no container '${named}' (deploy.container); containers: ${names(containers)}` };
    targets = [c];
  } else {
    targets = containers.filter((c) => parseImage(c.image)?.repository === wanted.repository);
    if (!targets.length && containers.length === 1) targets = containers;
    if (!targets.length) {
      return { ok: false, reason: `no container runs ${wanted.repository} and there are ${containers.length}: ${names(containers)}; set deploy.container` };
    }
  }
  const changes = targets.filter((c) => c.image !== image).map((c) => ({ container: c.name, from: c.image, to: image }));
  return { ok: true, changes, unchanged: targets.filter((c) => c.image === image).map((c) => c.name) };
}

export function describeChanges(changes: ContainerChange[]): string {
  return changes.map((c) => `${c.container}: ${c.from} → ${c.to}`).join("; ");
}

function names(containers: { name: string }[]): string {
  return containers.map((c) => c.name).join(", ") || "none";
}
