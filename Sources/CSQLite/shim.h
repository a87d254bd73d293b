#ifndef PARCELGATE_CSQLITE_SHIM_H
#define PARCELGATE_CSQLITE_SHIM_H
#include <sqlite3.h>
#endif
