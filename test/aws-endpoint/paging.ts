import { validation } from "./errors.js";
import { decodeToken, encodeToken } from "./protocol.js";

/** How faults shape list answers for one call. */
export interface ListShaping {
  /** Answer with no items at all (and no marker). */
  empty: boolean;
  /** Cap every page at this many items. */
  pageSize?: number;
  /** The listing is cut short: the page that would be the last comes back empty, with no marker. */
  shortLastPage?: boolean;
}

/** One page of `items` from `token` on; `next` is the token for the page after, if any. */
export function paginate<T>(items: T[], token: string | undefined, requested: number | undefined, maxPage: number, shaping: ListShaping) {
  if (requested !== undefined && (!Number.isInteger(requested) || requested < 1 || requested > maxPage)) {
    throw validation(`Page size must be between 1 and ${maxPage}`);
  }
  if (shaping.empty) return { page: [] as T[], next: undefined };
  const offset = decodeToken(token);
  if (offset === null || offset > items.length) throw validation("Invalid pagination token");
  const size = Math.min(requested ?? maxPage, shaping.pageSize ?? Infinity);
  const end = offset + size;
  const next = end < items.length ? encodeToken(end) : undefined;
  if (shaping.shortLastPage && next === undefined) return { page: [] as T[], next: undefined };
  return { page: items.slice(offset, end), next };
}
