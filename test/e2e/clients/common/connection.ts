/** Where the programs find the service: SHARDSTEP_URL (its base URL) and SHARDSTEP_TOKEN (a bearer token with admin scope). */
function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: the programs need the service's base URL (SHARDSTEP_URL) and a token (SHARDSTEP_TOKEN)`);
  return value;
}

export const connection = {
  baseUrl: required("SHARDSTEP_URL").replace(/\/+$/, ""),
  token: required("SHARDSTEP_TOKEN"),
};

/** The Authorization header of every request. */
export const authorization = { Authorization: `Bearer ${connection.token}` };
