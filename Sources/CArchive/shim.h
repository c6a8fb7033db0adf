#ifndef CREDITHUB_CARCHIVE_SHIM_H
#define CREDITHUB_CARCHIVE_SHIM_H
#include <archive.h>
#include <archive_entry.h>
#endif
