/**
 * The ordered, append-only list of migrations. Each is imported as text so `deno compile` embeds it:
 * nothing is read from the source tree at run time. Add a new file and a new line; never edit a shipped one.
 */
import m0001 from "./migrations/0001_init.sql" with { type: "text" };
import m0020 from "./migrations/0020_activity_list_indexes.sql" with { type: "text" };
import m0021 from "./migrations/0021_sync_log_indexes.sql" with { type: "text" };
import m0022 from "./migrations/0022_sync_log_owner.sql" with { type: "text" };

/** A migration: a version number, a name, and its SQL. */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** All migrations, oldest first. */
export const MIGRATIONS: readonly Migration[] = [
  { version: 1, name: "0001_init", sql: m0001 },
  { version: 20, name: "0020_activity_list_indexes", sql: m0020 },
  { version: 21, name: "0021_sync_log_indexes", sql: m0021 },
  { version: 22, name: "0022_sync_log_owner", sql: m0022 },
];
