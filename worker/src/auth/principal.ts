/** The principal a request authenticates as: types only, for the modules that key things by it (cache/, jobs/). */

/**
 * Who a request is, for its jobs, its part of the result cache and its rate limit: a named key's id, a hash
 * prefix of a plain key (never the key), or its client's address (an IPv6 client's /64, address.ts).
 */
export type Principal = { kind: "key"; id: string } | { kind: "ip"; id: string };

export type AuthVariables = { principal: Principal };
