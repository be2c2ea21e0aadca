#ifndef LOGPILOT_CSQLITE_SHIM_H
#define LOGPILOT_CSQLITE_SHIM_H
#include <sqlite3.h>

// SQLITE_TRANSIENT / SQLITE_STATIC are casted-pointer macros that Swift cannot import.
static inline sqlite3_destructor_type csqlite_transient(void) { return SQLITE_TRANSIENT; }
static inline sqlite3_destructor_type csqlite_static(void) { return SQLITE_STATIC; }

// sqlite3_config is variadic: one wrapper per option we use. Call before the first open.
static inline int csqlite_config_memstatus(int on) { return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, on); }
#endif
