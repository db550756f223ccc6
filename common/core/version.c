/* version.c - the version string (version.h); AR_VERSION and AR_GIT_DESCRIBE
 * come from CMakeLists.txt. */
#include "version.h"

#ifndef AR_VERSION
#define AR_VERSION "0"
#endif
#ifndef AR_GIT_DESCRIBE
#define AR_GIT_DESCRIBE "unknown"
#endif

const char *ar_version(void) { return "archrepair " AR_VERSION " (" AR_GIT_DESCRIBE ")"; }
