// Agent (and person) names are one name however they are cased or padded: the UI's twin of
// baton-core's `name_key` / `same_name` (trimmed, lower-cased by Unicode's rules).
export const nameKey = (name: string): string => name.trim().toLowerCase();

export const sameName = (a: string, b: string): boolean => nameKey(a) === nameKey(b);
