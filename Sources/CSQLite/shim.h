#ifndef PARCELGATE_CSQLITE_SHIM_H
#define PARCELGATE_CSQLITE_SHIM_H
#include <sqlite3.h>

/// sqlite3_config is variadic, which Swift cannot call: these wrap the settings we use.
/// Each must run before the first connection opens (SQLite refuses them afterwards, harmlessly).

/// Stops SQLite counting its allocations: the count takes a process-wide mutex on every malloc and free.
static inline int parcelgate_sqlite3_disable_memstatus(void) {
    return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}
#endif
